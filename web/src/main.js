// Foundation page: loads the WebAssembly core and plots the schedule's alpha_bar and log-SNR.
import createDiffuseModule from '../wasm/diffuse.mjs';

const status = document.getElementById('status');
const inputs = ['schedule', 'timesteps', 'zero-snr'].map((id) => document.getElementById(id));

function plot(canvas, tables) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const T = tables.timesteps;
  const series = [
    { values: tables.alpha_bar, color: '#1f77b4', label: 'ᾱ_t', lo: 0, hi: 1 },
    { values: tables.snr.map((s) => Math.log(Math.max(s, 1e-12))), color: '#d62728', label: 'log SNR', lo: -15, hi: 12 },
  ];
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    for (let t = 0; t < T; t++) {
      const x = (t / (T - 1)) * (width - 20) + 10;
      const y = height - 10 - ((Math.min(Math.max(s.values[t], s.lo), s.hi) - s.lo) / (s.hi - s.lo)) * (height - 20);
      if (t === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  ctx.fillStyle = '#1f77b4';
  ctx.fillText('ᾱ_t (0..1)', 20, 20);
  ctx.fillStyle = '#d62728';
  ctx.fillText('log SNR (−15..12)', 20, 36);
}

const diffuse = await createDiffuseModule();
const info = diffuse.buildInfo();
function refresh() {
  const tables = diffuse.scheduleTables({
    schedule: inputs[0].value, timesteps: Number(inputs[1].value), zeroSnr: inputs[2].checked,
  });
  if (!tables.ok) {
    status.textContent = `error: ${tables.error}`;
    return;
  }
  plot(document.getElementById('schedule-plot'), tables);
  status.textContent = `ready: diffuse ${info.version}, ${info.simd}`;
}
inputs.forEach((input) => input.addEventListener('input', refresh));
refresh();
