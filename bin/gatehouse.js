#!/usr/bin/env node
// The `gatehouse` command: runs the built CLI bundle (build first with `npm run build`; scripts/bundle.mjs).
import '../dist/gatehouse.mjs';
