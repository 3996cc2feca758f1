// Small assertions shared by the lifecycle scripts.

export function expectStatus(what: string, response: Response, want: number): void {
  if (response.status !== want) {
    throw new Error(`${what}: HTTP ${response.status}, want ${want}`);
  }
}

export function expect(what: string, ok: boolean): void {
  if (!ok) {
    throw new Error(`${what}: unexpected result`);
  }
}

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}
