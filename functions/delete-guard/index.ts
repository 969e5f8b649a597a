// Composition root of the delete-guard function (FC 3.0, HTTP trigger): handler 'index.handler',
// initializer 'index.initialize' (builds config and adapters once per instance, before traffic).
import { createHttpFunction } from '../../shared/http/function.js';
import { deleteGuardRoutes } from './routes.js';

export const { handler, initialize } = createHttpFunction(deleteGuardRoutes);
/** The route table, read by the local FC runtime to dispatch requests on one origin. */
export { deleteGuardRoutes as routes };
