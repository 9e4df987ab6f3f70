import { sqliteFactory } from '../registry/fixtures.js';
import { cacheContract } from './cache.contract.js';

cacheContract(sqliteFactory);
