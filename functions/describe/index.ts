// Composition root of the describe function (FC 3.0, HTTP trigger): handler 'index.handler',
// initializer 'index.initialize' (builds config and adapters once per instance, before traffic).
// It also serves the console: public routes over the files the build puts beside this bundle.
import { join } from 'node:path';
import { createHttpFunction } from '../../shared/http/function.js';
import { consoleRoutes } from './console.js';
import { describeRoutes } from './routes.js';

/** The bundle is CommonJS: __dirname is its folder (dist/describe), where the build put console/. */
const consoleFolder = (): string => join(__dirname, 'console');

/** The route table: the read API, then the console's public routes. The local FC runtime dispatches on it. */
export const routes = [...describeRoutes, ...consoleRoutes(consoleFolder)];

export const { handler, initialize } = createHttpFunction(routes);
