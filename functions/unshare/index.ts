// Composition root of the unshare function (FC 3.0, HTTP trigger): handler 'index.handler',
// initializer 'index.initialize' (builds config and adapters once per instance, before traffic).
import { createHttpFunction } from '../../shared/http/function.js';
import { unshareRoutes } from './routes.js';

export const { handler, initialize } = createHttpFunction(unshareRoutes);
/** The route table, read by the local FC runtime to dispatch requests on one origin. */
export { unshareRoutes as routes };
