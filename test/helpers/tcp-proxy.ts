/**
 * A TCP proxy in front of Redis that can break connections on purpose: cut them all, refuse new
 * ones for a while, or let one command through and lose its reply (what a client sees when Redis
 * dies right after executing a command).
 */
import net from 'node:net';

export class TcpProxy {
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private refusing = false;
  private loseReply?: { pattern: RegExp; done: () => void };

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client, targetPort, targetHost));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, port: number, host: string): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    let eatReply = false;
    const cut = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      const lose = this.loseReply;
      if (lose && lose.pattern.test(chunk.toString('latin1'))) {
        this.loseReply = undefined;
        eatReply = true;
        upstream.write(chunk);
        // Give Redis the time to run it, then drop the answer and the connection.
        upstream.once('data', () => {
          cut();
          lose.done();
        });
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!eatReply) client.write(chunk);
    });
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
  }

  /** Closes every open connection; while `refuseFor` is running, new ones are closed at once. */
  cutAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** The next command whose bytes match `pattern` runs on Redis, but its reply never arrives: the connection is cut instead. */
  loseReplyTo(pattern: RegExp): Promise<void> {
    return new Promise((resolve) => (this.loseReply = { pattern, done: resolve }));
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
