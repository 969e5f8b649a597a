// Composition root of the describe function (FC 3.0, HTTP trigger): handler 'index.handler',
// initializer 'index.initialize' (builds config and adapters once per instance, before traffic).
// It also serves the console: public routes over the files the build puts beside this bundle.
import { createHttpFunction } from '../../shared/http/function.js';
import { CONSOLE_ROUTES } from './console.js';
import { describeRoutes } from './routes.js';

/** The route table: the read API, then the console's public routes. The local FC runtime dispatches on it. */
export const routes = [...describeRoutes, ...CONSOLE_ROUTES];

export const { handler, initialize } = createHttpFunction(routes);
