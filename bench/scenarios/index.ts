// The scenario registry of `npm run bench`: groups run in this order, each server alone. To add rows (for
// example a gateway in front of Gatehouse), write a Group in this folder and add it to the list.
import type { Group } from '../lib.js';
import { gatehousePostgres, gatehouseSqlite, memory, scale, storm } from './gatehouse.js';
import { gateway } from './gateway.js';
import { bare, betterAuth } from './peers.js';

export const groups: Group[] = [bare, betterAuth, gatehouseSqlite, gatehousePostgres, storm, scale, gateway, memory];
