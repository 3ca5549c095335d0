"""PyTorch reference implementation of diffuse's reference workload (docs/reference-workload.md).

Modules, one concept each (as core/ is laid out):
  schedule        the diffusers schedule tables (reusing python/diffuse_torch/diffusers_schedule.py)
                  and the timestep spacings
  toy2d           the spec's 2D data sets (NumPy), CSV I/O, normalization, the exact gaussians8 density
  model           the MLP denoiser with the sinusoidal time embedding
  training        LR schedule, EMA warm-up, the training step and loop
  samplers        DDPM (fixed_small / fixed_large) and DDIM
  elbo            the negative ELBO (NLL upper bound) with improved-diffusion's calc_bpd_loop semantics,
                  and the exact (oracle) denoiser of a Gaussian mixture
  energy          energy distance, V- and U-statistics
  safetensors_io  a small safetensors reader/writer (struct + json + numpy)
  checkpoint      model checkpoint = EMA and raw weights + config and normalization in metadata
Command line: bench/torch_reference.py. Run with Debian's /usr/bin/python3 (torch 1.13, numpy 1.24).
"""
