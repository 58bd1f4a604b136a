// Jest runs specs as CommonJS (ts-jest), and its module loader cannot load ES modules the way
// Node 20.19+'s require() can. openid-client 6 (and its oauth4webapi and jose 6) ship only ES
// modules, so under jest alone their files are turned into CommonJS with esbuild. The services do
// not go through this: they require() the packages as published (tools/stack/build-services.ts).
'use strict';
const { createHash } = require('node:crypto');
const { transformSync } = require('esbuild');

module.exports = {
  getCacheKey(source, path) {
    return createHash('sha256').update('esm-package-transform-1').update(path).update(source).digest('hex');
  },
  process(source, path) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      target: 'node20',
      loader: 'js',
      sourcemap: 'external',
      sourcefile: path,
    });
    return { code, map };
  },
};
