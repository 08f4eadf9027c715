// What every command gets: the HTTP client, the output mode, and the view to ask (the only one the key reads by default).

import type { ViewSummary } from '@fustor/protocol';
import { CliError, EXIT } from './errors.js';
import type { FusionHttp } from './http.js';
import type { Settings } from './settings.js';

export class CommandContext {
  #views: ViewSummary[] | null = null;

  constructor(
    readonly http: FusionHttp,
    readonly settings: Settings,
    readonly signal: AbortSignal,
    readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
    readonly err: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  get json(): boolean {
    return this.settings.json;
  }

  /** Writes one JSON document (pretty, for people reading it too). */
  printJson(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  async views(): Promise<ViewSummary[]> {
    this.#views ??= (await this.http.get<{ items: ViewSummary[] }>('/views', {}, this.signal)).items;
    return this.#views;
  }

  /** --view (or FUSTOR_VIEW / client.yaml view:), else the only view the key may read. */
  async view(): Promise<string> {
    if (this.settings.view) return this.settings.view;
    const views = await this.views();
    if (views.length === 1) return views[0]!.id;
    if (views.length === 0) throw new CliError('this key may read no view', EXIT.AUTH, 'use a read key bound to a view (fustor-fusion keys create --role read --views <view>)');
    throw new CliError(`this key may read ${views.length} views: ${views.map((v) => v.id).join(', ')}`, EXIT.USAGE, 'name one with --view <view> (or FUSTOR_VIEW, or view: in client.yaml)');
  }

  async viewSummary(id: string): Promise<ViewSummary> {
    const v = (await this.views()).find((x) => x.id === id);
    if (!v) throw new CliError(`view '${id}' not found`, EXIT.NOT_FOUND, 'fustor views lists the views this key may read');
    return v;
  }

  /** `/views/{view}` + rest, with the view id escaped. */
  async viewPath(rest: string): Promise<string> {
    return `/views/${encodeURIComponent(await this.view())}${rest}`;
  }
}
