import { singleRowWrite } from '../writes.js';

export const updateRow = singleRowWrite('UpdateRow', 'UPDATE', 'rowChange');
