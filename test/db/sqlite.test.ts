import { databaseContract } from './database.contract.js';
import { sqliteTarget } from './targets.js';

databaseContract(sqliteTarget);
