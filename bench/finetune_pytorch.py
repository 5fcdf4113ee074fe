#!/usr/bin/env python3
"""Cross-check of finetuning and evaluation: the course's finetune branch and evaluation, ported to PyTorch, run
on a checkpoint this workbook pretrained. If the workbook's finetuning or its greedy evaluation differed from the
course's, the two dev accuracies from the same weights would differ by more than finetuning seeds do.

  /usr/bin/python3 bench/finetune_pytorch.py CKPT TRAIN_TSV DEV_TSV PREDICTIONS_OUT [--seed S] [--documents N]

What it copies from the course: NameDataset (the question and answer decoded to ASCII with errors ignored, x the
question + MASK + answer + MASK padded to 128 without its last character, y the same shifted with the question's
positions set to PAD); trainer.py (AdamW, betas 0.9/0.95, weight decay 0.1 on every name without "bias", a
DataLoader that does not shuffle, batch 256, gradients clipped to 1.0, the rate warmed up over 512 x 20 tokens and
cosine-decayed towards final_tokens = 200 x documents x 128, counting batch x 127 tokens a step); 10 epochs at
6e-4; dropout 0.1 after the embedding, on the attention weights, after the attention projection and after the MLP;
the loss ignores PAD. Evaluation as run.py: the raw dev question + MASK, 32 greedy characters at most (stopped at
the next MASK here, which changes nothing), the text between the first and second MASK, compared exactly with the
gold answer.

The model is test/fixtures/torch_gpt.py's (the parity test's), with the dropout layers added. One thread: about
an hour on one of this machine's cores for the 80 steps, most of it in the batch-256 steps.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures"))
import torch_gpt as tg  # noqa: E402

MASK, PAD = "\u2047", "\u25a1"


class AttentionWithDropout(tg.CausalSelfAttention):
    def __init__(self, c, p):
        super().__init__(c)
        self.attn_drop, self.resid_drop = nn.Dropout(p), nn.Dropout(p)

    def forward(self, x):
        B, T, C = x.size()
        hs = C // self.n_head
        q, k, v = self.qkv(x).view(B, T, self.n_head, 3 * hs).split(hs, dim=-1)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        if self.rope:
            q, k = tg.apply_rotary_emb(q, self.rope_cache), tg.apply_rotary_emb(k, self.rope_cache)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(hs)).masked_fill(self.mask[:T, :T] == 0, float("-inf"))
        y = self.attn_drop(F.softmax(att, dim=-1)) @ v
        return self.resid_drop(self.proj(y.transpose(1, 2).contiguous().view(B, T, C)))


def model_with_dropout(cfg, p=0.1):
    m = tg.GPT(cfg)
    for block in m.blocks:
        block.attn = AttentionWithDropout(cfg, p)
        block.mlp[3] = nn.Dropout(p)
    m.drop = nn.Dropout(p)
    return m


def logits_of(m, idx):
    x = m.tok_emb(idx)
    if not m.rope:
        x = x + m.pos_emb[:, : idx.size(1), :]
    return m.head(m.ln_f(m.blocks(m.drop(x))))


def name_dataset(path, stoi, block):
    text = open(path, encoding="utf-8").read().encode("utf-8").decode("ascii", errors="ignore")
    xs, ys = [], []
    for line in (l for l in text.split("\n") if l):
        inp, oup = line.split("\t")
        x = inp + MASK + oup + MASK
        x = x + PAD * (block - len(x))
        y = PAD * (len(inp) - 1) + x[len(inp):]
        xs.append([stoi[c] for c in x[:-1]])
        ys.append([stoi[c] for c in y])
    return torch.tensor(xs), torch.tensor(ys)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("train")
    ap.add_argument("dev")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--documents", type=int, default=2937, help="len(pretrain_dataset), which sizes final_tokens")
    ap.add_argument("--epochs", type=int, default=10, help="the course's 10 (fewer only to try the script)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    torch.set_num_threads(1)
    tensors, meta = tg.read_safetensors(a.ckpt)
    cfg = tg.config_from(tensors, meta, 8, 128)
    vocab = json.loads(meta["vocab"])
    stoi = {c: i for i, c in enumerate(vocab)}
    m = model_with_dropout(cfg)
    m.load_state_dict(tensors, strict=True)
    X, Y = name_dataset(a.train, stoi, cfg.block_size)
    decay = [p for n, p in m.named_parameters() if not any(nd in n for nd in ["bias", "LayerNorm.weight"])]
    no_decay = [p for n, p in m.named_parameters() if any(nd in n for nd in ["bias", "LayerNorm.weight"])]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=6e-4, betas=(0.9, 0.95))
    lr, warmup, final = 6e-4, 512 * 20, 200 * a.documents * cfg.block_size
    tokens, t0 = 0, time.time()
    m.train()
    for epoch in range(a.epochs):
        for i in range(0, len(X), 256):
            x, y = X[i : i + 256], Y[i : i + 256]
            logits = logits_of(m, x)
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), ignore_index=0)
            m.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            tokens += y.numel()
            mult = tokens / warmup if tokens < warmup else max(0.1, 0.5 * (1 + math.cos(math.pi * (tokens - warmup) / (final - warmup))))
            for g in opt.param_groups:
                g["lr"] = lr * mult
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    m.eval()
    dev = [l.split("\t") for l in open(a.dev, encoding="utf-8").read().split("\n") if l]
    predictions, correct = [], 0
    with torch.no_grad():
        for question, gold in dev:
            x = torch.tensor([[stoi[c] for c in question + MASK if c in stoi]])
            for _ in range(32):
                nxt = logits_of(m, x[:, -cfg.block_size :])[0, -1].argmax().item()
                x = torch.cat([x, torch.tensor([[nxt]])], 1)
                if nxt == stoi[MASK]:
                    break
            pred = "".join(vocab[i] for i in x[0].tolist()).split(MASK)[1]
            predictions.append(pred)
            correct += pred == gold.strip()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(predictions) + "\n")
    print(json.dumps({"checkpoint": a.ckpt, "seed": a.seed, "correct": correct, "total": len(dev),
                      "accuracy": correct / len(dev), "final_loss": loss.item(), "seconds": round(time.time() - t0)}))


if __name__ == "__main__":
    main()
