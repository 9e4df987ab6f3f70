import { databaseContract } from './database.contract.js';
import { postgresTarget } from './targets.js';

databaseContract(postgresTarget);
