import { singleRowWrite } from '../writes.js';

export const putRow = singleRowWrite('PutRow', 'PUT', 'row');
