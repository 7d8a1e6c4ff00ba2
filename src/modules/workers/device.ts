import { execFile } from 'node:child_process';
import { cpus, hostname, platform, totalmem } from 'node:os';
import { promisify } from 'node:util';
import type { DeviceInfo } from './worker-heartbeat.entity.js';

const run = promisify(execFile);

/** This host's CPUs, memory and (through nvidia-smi, when it is installed) GPUs. */
export async function detectDevice(): Promise<DeviceInfo> {
  const cores = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    cpu: { model: cores[0]?.model.trim() ?? 'unknown', cores: cores.length },
    memoryBytes: totalmem(),
    gpus: await detectGpus(),
  };
}

async function detectGpus(): Promise<DeviceInfo['gpus']> {
  try {
    const { stdout } = await run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'], { timeout: 5000 });
    return stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name, mib] = line.split(',').map((s) => s.trim());
        return { name, memoryBytes: Number(mib) * 1024 * 1024 };
      });
  } catch {
    return [];
  }
}
