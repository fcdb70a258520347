// The reference page's script (served as /docs/assets/reference.<digest>.js; plain browser
// JavaScript, embedded as text by src/reference-assets.ts). It fetches `<base>/openapi.json` of
// every API the page names, merges them into one OpenAPI document — paths under their base, one
// tag per service, component names prefixed so two services' schemas never collide — and hands
// it to Swagger UI. An API whose spec does not load is named on the page instead of failing it.
(function () {
  'use strict';
  var root = document.getElementById('reference');
  var status = document.getElementById('reference-status');
  var unavailableList = document.getElementById('unavailable-apis');
  var bases = (root.getAttribute('data-apis') || '').split(' ').filter(Boolean);

  /** `/v1/users` → `users`: the prefix of the API's operation ids and component names. */
  function keyOf(base) {
    return base.split('/').filter(Boolean).pop();
  }

  function load(base) {
    return fetch(base + '/openapi.json', { headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (spec) {
        if (!spec || typeof spec.openapi !== 'string' || typeof spec.paths !== 'object') throw new Error('not an OpenAPI document');
        return { base: base, spec: spec };
      })
      .catch(function (error) {
        return { base: base, error: error instanceof Error ? error.message : String(error) };
      });
  }

  /** A copy of `value` with every `#/components/<kind>/<name>` reference renamed under `key`. */
  function renameRefs(value, key) {
    if (Array.isArray(value)) return value.map(function (item) { return renameRefs(item, key); });
    if (value === null || typeof value !== 'object') return value;
    var out = {};
    Object.keys(value).forEach(function (name) {
      var inner = value[name];
      if (name === '$ref' && typeof inner === 'string' && inner.indexOf('#/components/') === 0) {
        var parts = inner.split('/');
        out[name] = parts.slice(0, 3).join('/') + '/' + key + '.' + parts.slice(3).join('/');
      } else out[name] = renameRefs(inner, key);
    });
    return out;
  }

  function joinPath(base, path) {
    return path === '/' ? base : base + path;
  }

  function merge(loaded, unavailable) {
    var doc = {
      openapi: '3.1.0',
      info: {
        title: 'AuthorWorks API',
        version: 'live',
        description:
          'Every service of the platform, read from its `openapi.json` when this page was opened. ' +
          'Authorize with an access token (`POST /v1/users/login`) to try signed-in routes.' +
          (unavailable.length
            ? '\n\nNot available right now: ' + unavailable.map(function (u) { return '`' + u.base + '` (' + u.error + ')'; }).join(', ') + '.'
            : ''),
      },
      tags: [],
      paths: {},
      components: { securitySchemes: {} },
    };
    loaded.forEach(function (api) {
      var key = keyOf(api.base);
      var spec = renameRefs(api.spec, key);
      var base = (spec.servers && spec.servers[0] && spec.servers[0].url) || api.base;
      var tag = (spec.info && spec.info.title) || key;
      doc.tags.push({ name: tag, description: '`' + base + '`, version ' + ((spec.info && spec.info.version) || '?') });
      Object.keys(spec.paths).forEach(function (path) {
        var item = spec.paths[path];
        Object.keys(item).forEach(function (method) {
          var operation = item[method];
          if (operation && typeof operation === 'object' && !Array.isArray(operation) && operation.responses) {
            operation.tags = [tag];
            if (operation.operationId) operation.operationId = key + '.' + operation.operationId;
          }
        });
        doc.paths[joinPath(base, path)] = item;
      });
      var components = spec.components || {};
      Object.keys(components).forEach(function (kind) {
        var target = (doc.components[kind] = doc.components[kind] || {});
        Object.keys(components[kind]).forEach(function (name) {
          // Security schemes are named in each operation's `security`, never by $ref: one shared set.
          target[kind === 'securitySchemes' ? name : key + '.' + name] = components[kind][name];
        });
      });
    });
    return doc;
  }

  Promise.all(bases.map(load)).then(function (results) {
    var loaded = results.filter(function (r) { return r.spec; });
    var unavailable = results.filter(function (r) { return !r.spec; });
    status.textContent = loaded.length + ' of ' + results.length + ' APIs listed' + (unavailable.length ? '; not available right now:' : '.');
    unavailable.forEach(function (u) {
      var item = document.createElement('li');
      item.className = 'unavailable-api';
      item.setAttribute('data-base', u.base);
      item.textContent = u.base + ' (' + u.error + ')';
      unavailableList.appendChild(item);
    });
    // validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io.
    window.SwaggerUIBundle({
      spec: merge(loaded, unavailable),
      domNode: root,
      validatorUrl: null,
      deepLinking: true,
      docExpansion: 'list',
      defaultModelsExpandDepth: 0,
      persistAuthorization: false,
    });
  });
})();
