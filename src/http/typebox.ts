// TypeBox's `Type` builder, from its CommonJS build: its ESM build is some 200 modules that Node links one by
// one at start (issue 9). Same package, same code; TypeBox marks schemas with global symbols
// (Symbol.for), so schemas are the same whichever build made them. Types come from the package itself.
import { createRequire } from 'node:module';
import type * as TypeBoxModule from '@sinclair/typebox';

export const { Type } = createRequire(import.meta.url)('@sinclair/typebox') as typeof TypeBoxModule;
