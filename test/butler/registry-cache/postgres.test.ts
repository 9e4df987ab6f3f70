import { postgresFactory } from '../registry/fixtures.js';
import { cacheContract } from './cache.contract.js';

cacheContract(postgresFactory);
