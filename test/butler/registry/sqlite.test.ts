import { sqliteFactory } from './fixtures.js';
import { registryContract } from './registry.contract.js';

registryContract(sqliteFactory);
