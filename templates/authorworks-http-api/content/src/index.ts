{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign S = singular | pascal_case -%}
{%- assign P = resource | pascal_case -%}
{%- assign prefix = http-prefix | default: project-name | kebab_case -%}
import { createApi, serveHttp } from '@authorworks/kit';
import { version } from '../package.json';
import { New{{S}}, {{P}}Query, {{S}}Params, create{{S}}, get{{S}}, list{{P}} } from './{{resource}}.ts';

// The route table, and nothing else: handlers live with their resource. The kit answers
// GET /v1/{{prefix}}/health and /ready, validates what each route declares and turns failures
// into the error envelope.
const api = createApi({ service: '{{project-name | kebab_case}}', base: '/v1/{{prefix}}', version })
  .post('/{{resource}}', { body: New{{S}}, auth: 'required' }, create{{S}})
  .get('/{{resource}}', { query: {{P}}Query, auth: 'required' }, list{{P}})
  .get('/{{resource}}/:id', { params: {{S}}Params, auth: 'required' }, get{{S}});

serveHttp(api);
