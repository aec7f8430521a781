// Preloaded (node --import) into a process a benchmark measures: at exit, writes the CPU time its threads spent,
// by kind, to the file named by CLINICA_BENCH_THREADS — so a ratio of CPU times can say where a difference goes.
// Linux only (/proc); elsewhere it writes nothing. Kinds: the main thread (JavaScript, the event loop, the
// main-thread part of GC); libvips's worker threads (sharp's pixel work); the rest, Node's helper threads (V8's
// optimizing compiler and concurrent GC, libuv's pool that also drives sharp's calls).
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';

const file = process.env.CLINICA_BENCH_THREADS;
if (file) {
  process.on('exit', () => {
    const spent = { main: 0, helpers: 0, libvips: 0 };
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const seconds = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ ticks
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        spent[tid === String(process.pid) ? 'main' : comm.startsWith('libvips') ? 'libvips' : 'helpers'] += seconds;
      }
    } catch {
      return; // no /proc
    }
    appendFileSync(file, `${JSON.stringify(spent)}\n`);
  });
}
