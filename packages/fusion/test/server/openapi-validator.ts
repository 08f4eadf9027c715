// Validates real answers against the served OpenAPI document with ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// Shared by the Fusion server tests, the CLI tests and the e2e page test.

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Json = Record<string, any>;

export class OpenApiValidator {
  readonly #ajv: Ajv2020;
  readonly #templates: Array<{ template: string; re: RegExp }>;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(readonly doc: Json) {
    // strict: false because the document around the schemas has OpenAPI keywords ajv does not know
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    this.#ajv.addSchema(doc, 'openapi');
    this.#templates = Object.keys(doc.paths).map((template) => ({
      template,
      re: new RegExp(`^${template.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  static async fetch(baseUrl: string): Promise<OpenApiValidator> {
    const res = await fetch(`${baseUrl}/api/v1/openapi.json`);
    if (res.status !== 200) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    return new OpenApiValidator((await res.json()) as Json);
  }

  /** The document's path template for a concrete request path (query string ignored). */
  templateOf(path: string): string {
    const bare = path.split('?')[0]!;
    const exact = this.#templates.find((t) => t.template === bare);
    const hit = exact ?? this.#templates.find((t) => t.re.test(bare));
    if (!hit) throw new Error(`no path of the OpenAPI document matches ${bare}`);
    return hit.template;
  }

  /** The errors of `body` against the documented answer of (method, path, status); [] when it conforms. */
  problems(method: string, path: string, status: number, body: unknown, contentType = 'application/json'): string[] {
    const template = this.templateOf(path);
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    if (!op) return [`${method} ${template} is not documented`];
    const key = op.responses[String(status)] ? String(status) : 'default';
    const resp = op.responses[key];
    if (!resp) return [`${method} ${template} documents no ${status} answer`];
    if (!resp.content?.[contentType]) return [`${method} ${template} ${status} documents no ${contentType} content`];
    const pointer = ['paths', template, method.toLowerCase(), 'responses', key, 'content', contentType, 'schema']
      .map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const id = `openapi#/${pointer}`;
    let v = this.#cache.get(id);
    if (!v) {
      v = this.#ajv.getSchema(id);
      if (!v) return [`cannot compile ${id}`];
      this.#cache.set(id, v);
    }
    if (v(body)) return [];
    return (v.errors ?? []).map((e) => `${method} ${template} ${status}: ${e.instancePath || '(root)'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
  }

  /** Throws unless `value` conforms to components.schemas[name] (a CLI's --json output, one feed entry). */
  checkComponent(name: string, value: unknown): void {
    const id = `openapi#/components/schemas/${name}`;
    let v = this.#cache.get(id);
    if (!v) {
      v = this.#ajv.getSchema(id);
      if (!v) throw new Error(`no component schema ${name}`);
      this.#cache.set(id, v);
    }
    if (!v(value)) throw new Error(`value does not conform to ${name}: ${JSON.stringify(v.errors?.slice(0, 5))}
value: ${JSON.stringify(value).slice(0, 800)}`);
  }

  /** Throws with every problem listed when `body` does not conform. */
  check(method: string, path: string, status: number, body: unknown): void {
    const p = this.problems(method, path, status, body);
    if (p.length > 0) throw new Error(`answer does not conform to the OpenAPI document:\n  ${p.slice(0, 10).join('\n  ')}\nbody: ${JSON.stringify(body).slice(0, 800)}`);
  }
}
