import { singleRowWrite } from '../writes.js';

export const deleteRow = singleRowWrite('DeleteRow', 'DELETE', 'primaryKey');
