import { postgresFactory } from '../registry/fixtures.js';
import { migrationContract } from './migration.contract.js';

migrationContract(postgresFactory);
