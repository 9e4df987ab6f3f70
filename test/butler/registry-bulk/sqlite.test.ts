import { sqliteFactory } from '../registry/fixtures.js';
import { bulkContract } from './bulk.contract.js';

bulkContract(sqliteFactory);
