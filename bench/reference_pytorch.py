#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the course's minGPT, the same batches and steps, the same fields.

Model (CS224N minGPT): token embedding + learned position embedding (zeros at start), 4 pre-LayerNorm blocks
of causal self-attention (8 heads, separate key/query/value Linears, output projection) and an MLP
(Linear(C, 4C), GELU, Linear(4C, C)), dropout 0.1, final LayerNorm, a bias-free head; cross-entropy that
ignores PAD (id 0). Optimizer: AdamW, betas (0.9, 0.95), weight decay 0.1 on Linear weights only, gradient
norm clipped to 1.0, learning rate 6e-3 (constant here: the schedule costs nothing).

  python3 bench/reference_pytorch.py [--batches FILE] [--batch 128] [--steps 5] [--warmup 2] [--threads N] [--json]

It uses every core (torch.set_num_threads), as the TypeScript side does: Debian's torch would otherwise run its
own kernels on one thread here (OpenBLAS's products use both cores either way).

--batches reads the batches `bench/bench.ts --vs-pytorch` wrote (rows shorter than 128 after PAD trimming are
padded back to 128, as the course computes them); without it, random batches with a PAD tail are used.
Torch is importable by /usr/bin/python3 on the project machine, not by every python3 on PATH: when this
interpreter lacks torch the script re-runs itself with /usr/bin/python3, and otherwise prints
{"skipped": true, "reason": ...}.
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

SYSTEM_PYTHON = "/usr/bin/python3"


def skip(reason, as_json):
    if as_json:
        print(json.dumps({"skipped": True, "reason": reason}))
    else:
        print(f"PyTorch reference skipped: {reason}")
    sys.exit(0)


def import_torch(as_json):
    try:
        import torch  # noqa: F401
        return torch
    except ImportError as e:
        here = os.path.realpath(sys.executable)
        if os.environ.get("REFERENCE_PYTORCH_REEXEC") != "1" and os.path.exists(SYSTEM_PYTHON) and here != os.path.realpath(SYSTEM_PYTHON):
            os.environ["REFERENCE_PYTORCH_REEXEC"] = "1"
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
        skip(f"torch is not importable by {sys.executable} or {SYSTEM_PYTHON} ({e})", as_json)


def build_model(torch, vocab_size, block_size=128, n_layer=4, n_head=8, n_embd=256, pdrop=0.1):
    nn = torch.nn
    F = torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.key = nn.Linear(n_embd, n_embd)
            self.query = nn.Linear(n_embd, n_embd)
            self.value = nn.Linear(n_embd, n_embd)
            self.attn_drop = nn.Dropout(pdrop)
            self.resid_drop = nn.Dropout(pdrop)
            self.proj = nn.Linear(n_embd, n_embd)
            self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))

        def forward(self, x):
            B, T, C = x.size()
            k = self.key(x).view(B, T, n_head, C // n_head).transpose(1, 2)
            q = self.query(x).view(B, T, n_head, C // n_head).transpose(1, 2)
            v = self.value(x).view(B, T, n_head, C // n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, -1e10)
            att = self.attn_drop(F.softmax(att, dim=-1))
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_drop(self.proj(y))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(n_embd)
            self.ln2 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd), nn.Dropout(pdrop))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb = nn.Embedding(vocab_size, n_embd)
            self.pos_emb = nn.Parameter(torch.zeros(1, block_size, n_embd))
            self.drop = nn.Dropout(pdrop)
            self.blocks = nn.Sequential(*[Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.head = nn.Linear(n_embd, vocab_size, bias=False)
            self.apply(self._init_weights)

        @staticmethod
        def _init_weights(m):
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.data.normal_(mean=0.0, std=0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.LayerNorm):
                m.bias.data.zero_()
                m.weight.data.fill_(1.0)

        def forward(self, idx, targets):
            T = idx.size(1)
            x = self.drop(self.tok_emb(idx) + self.pos_emb[:, :T, :])
            logits = self.head(self.ln_f(self.blocks(x)))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=0)

    return GPT()


def make_optimizer(torch, model, lr):
    decay, no_decay = [], []
    for mn, m in model.named_modules():
        for pn, p in m.named_parameters(recurse=False):
            (decay if pn.endswith("weight") and isinstance(m, torch.nn.Linear) else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95))


def load_batches(torch, args, block_size):
    if args.batches:
        with open(args.batches) as f:
            spec = json.load(f)
        out = []
        for b in spec["batches"]:
            B, T = b["batch_size"], b["time"]
            x = torch.zeros(B, block_size, dtype=torch.long)
            y = torch.zeros(B, block_size, dtype=torch.long)
            x[:, :T] = torch.tensor(b["x"], dtype=torch.long).view(B, T)
            y[:, :T] = torch.tensor(b["y"], dtype=torch.long).view(B, T)
            out.append((x, y))
        return spec["vocab_size"], spec.get("warmup", args.warmup), out
    g = torch.Generator().manual_seed(0)
    vocab = 256
    out = []
    for _ in range(args.warmup + args.steps):
        x = torch.randint(1, vocab, (args.batch, block_size), generator=g)
        y = torch.randint(1, vocab, (args.batch, block_size), generator=g)
        lengths = torch.randint(block_size // 8, block_size, (args.batch,), generator=g)
        pad = torch.arange(block_size).view(1, -1) >= lengths.view(-1, 1)
        x[pad] = 0
        y[pad] = 0
        out.append((x, y))
    return vocab, args.warmup, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batches")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--json", action="store_true")
    p.add_argument("--threads", type=int, default=0,
                   help="intra-op threads; 0 (default): every core this process may use. Debian's torch starts "
                        "with 1 here (its OpenMP reports 1), 20-25%% slower than with both cores")
    args = p.parse_args()
    torch = import_torch(args.json)
    torch.set_num_threads(args.threads if args.threads > 0 else len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    block_size = 128
    vocab, warmup, batches = load_batches(torch, args, block_size)
    model = build_model(torch, vocab, block_size)
    model.train()
    opt = make_optimizer(torch, model, 6e-3)

    def step(x, y):
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for x, y in batches[:warmup]:
        step(x, y)
    ms, positions, useful = [], 0, 0
    for x, y in batches[warmup:]:
        t0 = time.perf_counter()
        step(x, y)
        ms.append((time.perf_counter() - t0) * 1000)
        positions += x.numel()
        useful += int((y != 0).sum())
    n = len(ms)
    med = statistics.median(ms)
    result = {
        "backend": f"pytorch {torch.__version__} cpu",
        "threads": torch.get_num_threads(),
        "batch_size": batches[0][0].size(0),
        "steps_measured": n,
        "ms_per_step": round(med, 1),
        "tokens_per_s": round(positions / n / med * 1000, 1),
        "useful_tokens_per_s": round(useful / n / med * 1000, 1),
        "params": sum(p.numel() for p in model.parameters()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": sys.executable,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"  {k:<24} {v}")


if __name__ == "__main__":
    main()
