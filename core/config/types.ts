import type { HttpLimits } from '../http/limits.js';

/** Where a surface listens. */
export interface ListenConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/** A module (plugin) entry under `modules`: `enabled` plus the plugin's own validated settings. */
export type ModuleConfig = { enabled?: boolean } & Record<string, unknown>;

export interface OpenRedConfig {
  node: {
    /** A display name for humans; the identity is the self-certifying node id. */
    name?: string;
    /** Keys, tokens and plugin data live here (0700). Override with OPENRED_DATA_DIR. */
    dataDir: string;
    /**
     * The URL peers and the directory use to reach this node's /p2p surface. Defaults to
     * `http://<p2p host>:<p2p port>`.
     */
    publicUrl?: string;
  };
  server: {
    /** Peer-facing surface (/p2p). Override the port with OPENRED_PORT. */
    p2p: ListenConfig;
    /** Owner-facing surface (/api, /metrics, console): loopback by default. Override with OPENRED_API_PORT. */
    api: ListenConfig;
    limits: HttpLimits;
  };
  directory: {
    /** The community directory this node registers with. Unset with `embedded` = use the embedded one. */
    url?: string;
    /** The directory's Ed25519 public key (base64url), pinned: tokens signed by any other key are refused. */
    publicKey?: string;
    /** Run a directory inside this process (a standalone community). `false` to use `url`. */
    embedded: false | { port: number; host: string; allowLoopback?: boolean; [key: string]: unknown };
    /** Seconds between presence heartbeats. */
    heartbeatSeconds: number;
  };
  crypto: {
    /** `process`: private keys live in an isolated child process. `inline`: in this process (faster, weaker). */
    isolation: 'process' | 'inline';
    epochSeconds: number;
    /** Seconds into a new epoch during which the previous epoch's keys are still accepted. */
    graceSeconds: number;
    /** How the cipher method is chosen per epoch: fixed, hourly, daily, or a plugin-registered policy. */
    methodPolicy: string;
    /** Cipher methods this node accepts, by preference. */
    methods: string[];
    /** Seconds a session lives before the initiator renews it. */
    sessionTtlSeconds: number;
  };
  plugins: {
    /** Folders scanned for plugins (each subfolder with a package.json that has an `openred` field). */
    dirs: string[];
    /** Also load installed `openred-plugin-*` packages from node_modules. */
    packages: boolean;
    /** Watch plugin folders and the config file and apply changes live. */
    hotReload: boolean;
  };
  /** Modules to enable, by plugin name, with their settings. A plugin not listed here is not loaded. */
  modules: Record<string, ModuleConfig>;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

/** What the operator writes: every section optional, defaults fill the rest. */
export type OpenRedUserConfig = DeepPartial<OpenRedConfig>;

export type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
