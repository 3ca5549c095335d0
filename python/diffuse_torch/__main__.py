"""python3 -m diffuse_torch: file conversions around diffuse checkpoints (docs/torch.md).

  config CHECKPOINT                      print the checkpoint's configuration JSON (for --config)
  pt2safetensors STATE.pt OUT.safetensors
                                         a torch.save'd state_dict as safetensors (diffuse reads no pickles)
  checkpoint WEIGHTS.safetensors CONFIG.json OUT.safetensors
                                         weights + config as a sampling-only diffuse checkpoint
                                         (what `diffuse import --from torch` does, in Python)
"""
import argparse
import json
import sys

from .checkpoint import pt_to_safetensors, read_config, save_checkpoint
from .safetensors_io import read_safetensors


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m diffuse_torch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("config", help="print a checkpoint's configuration JSON")
    p.add_argument("checkpoint")
    p = sub.add_parser("pt2safetensors", help="a .pt state_dict as .safetensors")
    p.add_argument("pt")
    p.add_argument("out")
    p = sub.add_parser("checkpoint", help="weights + config JSON as a diffuse checkpoint")
    p.add_argument("weights")
    p.add_argument("config")
    p.add_argument("out")
    args = parser.parse_args(argv)
    try:
        if args.command == "config":
            print(json.dumps(read_config(args.checkpoint), indent=2))
        elif args.command == "pt2safetensors":
            pt_to_safetensors(args.pt, args.out)
            print(f"wrote {args.out}")
        else:
            import torch
            _, tensors = read_safetensors(args.weights)
            with open(args.config) as f:
                config = json.load(f)
            save_checkpoint(args.out, {k: torch.from_numpy(v) for k, v in tensors.items()}, config)
            print(f"wrote {args.out}")
    except (OSError, ValueError, RuntimeError, KeyError) as e:  # UnsupportedConfig is a ValueError
        print(f"diffuse_torch: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
