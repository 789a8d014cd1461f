export { Dispatcher } from './dispatcher.js';
export { RouteTable } from './route-table.js';
export { createSurfaceApp } from './surface-app.js';
export { toKoaRoute } from './route-handler.js';
