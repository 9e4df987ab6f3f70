import { sqliteFactory } from '../registry/fixtures.js';
import { migrationContract } from './migration.contract.js';

migrationContract(sqliteFactory);
