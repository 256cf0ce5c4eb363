import type { ServingMaterial } from './certificate-source.js';

/** Small shared helper: listeners plus "did it really change" so reloads of identical files stay silent. */
export class MaterialHolder {
  private material: ServingMaterial | undefined;
  private readonly listeners = new Set<(m: ServingMaterial) => void>();

  constructor(private readonly onListenerError?: (error: unknown) => void) {}

  current(): ServingMaterial {
    if (!this.material) throw new Error('serving certificate not loaded yet');
    return this.material;
  }

  loaded(): boolean {
    return this.material !== undefined;
  }

  onChange(listener: (m: ServingMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stores `next`; tells listeners only when something differs. Returns whether it changed. */
  set(next: ServingMaterial): boolean {
    const before = this.material;
    if (before && before.certPem === next.certPem && before.keyPem === next.keyPem && before.caBundlePem === next.caBundlePem) return false;
    this.material = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch (error: unknown) {
        this.onListenerError?.(error);
      }
    }
    return true;
  }
}
