#!/usr/bin/env node
// The `mqtt` command (the bin of @x/examples): runs cli/mqtt.ts, TypeScript, through tsx.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/mqtt.ts')
await main()
