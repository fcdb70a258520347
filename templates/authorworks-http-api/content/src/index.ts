{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign singular = resource-singular | default: singular -%}
{%- assign S = singular | pascal_case -%}
{%- assign P = resource | pascal_case -%}
{%- assign prefix = http-prefix | default: project-name | kebab_case -%}
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { create{{S}}, get{{S}}, list{{P}} } from './{{resource}}.ts';

// The route table, and nothing else: each route's spec (auth, params, query, body) and handler
// live with its resource. The kit answers GET /v1/{{prefix}}/health and /ready, validates what
// each route declares and turns failures into the error envelope. Literal paths before /:param.
const api = createApi({ service: '{{project-name | kebab_case}}', base: '/v1/{{prefix}}', version })
  .post('/{{resource}}', create{{S}})
  .get('/{{resource}}', list{{P}})
  .get('/{{resource}}/:id', get{{S}});

serveHttp(api);
