#!/usr/bin/python3
"""A small but real training job: a two-layer MLP classifier trained with
mini-batch SGD on a generated, non-linearly separable data set (two
interleaved spirals), in NumPy only.

It checkpoints after every epoch to $SKYRUN_CHECKPOINT_DIR and resumes from
the last checkpoint when started again (skyrun keeps that directory across
attempts), so a restarted attempt continues where the last one stopped.

--fail-at-epoch N makes the first attempts exit with code 75 right after
checkpointing epoch N (for as long as $SKYRUN_ATTEMPT <= --fail-attempts):
this is how the recovery example and tests show a restart that resumes.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def make_spirals(n_per_class, noise, rng):
    t = np.sqrt(rng.uniform(0.0, 1.0, n_per_class)) * 2.0 * np.pi
    a = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    b = -a
    x = np.concatenate([a, b]) / (2.0 * np.pi)
    x += rng.normal(0.0, noise, x.shape)
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)]).astype(np.int64)
    return x.astype(np.float64), y


def init_params(hidden, rng):
    return {
        "w1": rng.normal(0.0, 1.0, (2, hidden)) / np.sqrt(2.0),
        "b1": np.zeros(hidden),
        "w2": rng.normal(0.0, 1.0, (hidden, 2)) / np.sqrt(hidden),
        "b2": np.zeros(2),
    }


def forward(p, x):
    h = np.tanh(x @ p["w1"] + p["b1"])
    logits = h @ p["w2"] + p["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return h, probs


def step(p, x, y, lr):
    h, probs = forward(p, x)
    n = x.shape[0]
    loss = -np.log(probs[np.arange(n), y] + 1e-12).mean()
    d_logits = probs.copy()
    d_logits[np.arange(n), y] -= 1.0
    d_logits /= n
    grads = {"w2": h.T @ d_logits, "b2": d_logits.sum(axis=0)}
    d_h = (d_logits @ p["w2"].T) * (1.0 - h * h)
    grads["w1"] = x.T @ d_h
    grads["b1"] = d_h.sum(axis=0)
    for k in p:
        p[k] -= lr * grads[k]
    return loss


def accuracy(p, x, y):
    _, probs = forward(p, x)
    return float((probs.argmax(axis=1) == y).mean())


def save_checkpoint(ckpt_dir, epoch, params, rng_state):
    os.makedirs(ckpt_dir, exist_ok=True)
    tmp = os.path.join(ckpt_dir, "model.npz.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, epoch=epoch, **params)
    os.replace(tmp, os.path.join(ckpt_dir, "model.npz"))
    with open(os.path.join(ckpt_dir, "rng.json.tmp"), "w") as f:
        json.dump(rng_state, f)
    os.replace(os.path.join(ckpt_dir, "rng.json.tmp"), os.path.join(ckpt_dir, "rng.json"))


def load_checkpoint(ckpt_dir):
    path = os.path.join(ckpt_dir, "model.npz")
    if not os.path.exists(path):
        return None
    with np.load(path) as data:
        epoch = int(data["epoch"])
        params = {k: data[k].copy() for k in ("w1", "b1", "w2", "b2")}
    return epoch, params


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "12")))
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--fail-at-epoch", type=int, default=0)
    ap.add_argument("--fail-attempts", type=int, default=1)
    ap.add_argument("--epoch-seconds", type=float, default=0.0, help="sleep per epoch (to watch it run)")
    args = ap.parse_args()

    ckpt_dir = os.environ.get("SKYRUN_CHECKPOINT_DIR", "./checkpoints")
    attempt = int(os.environ.get("SKYRUN_ATTEMPT", "1"))
    data_rng = np.random.default_rng(1234)  # the data set is the same in every attempt
    x, y = make_spirals(args.samples // 2, 0.02, data_rng)
    split = int(0.8 * len(x))
    order = data_rng.permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    resumed = load_checkpoint(ckpt_dir)
    if resumed:
        start_epoch, params = resumed
        print(f"attempt {attempt}: resuming from checkpoint at epoch {start_epoch}", flush=True)
    else:
        start_epoch, params = 0, init_params(args.hidden, np.random.default_rng(7))
        print(f"attempt {attempt}: starting from scratch", flush=True)

    for epoch in range(start_epoch + 1, args.epochs + 1):
        rng = np.random.default_rng(1000 + epoch)
        perm = rng.permutation(len(x_train))
        losses = []
        for i in range(0, len(perm), args.batch):
            idx = perm[i:i + args.batch]
            losses.append(step(params, x_train[idx], y_train[idx], args.lr))
        acc = accuracy(params, x_test, y_test)
        print(f"epoch {epoch:3d}  loss {np.mean(losses):.4f}  test accuracy {acc:.3f}", flush=True)
        save_checkpoint(ckpt_dir, epoch, params, {"epoch": epoch})
        if args.epoch_seconds > 0:
            time.sleep(args.epoch_seconds)
        if epoch == args.fail_at_epoch and attempt <= args.fail_attempts:
            print(f"simulated failure after epoch {epoch} (exit 75: recoverable)", flush=True)
            sys.exit(75)

    final = accuracy(params, x_test, y_test)
    print(f"done: {args.epochs} epochs, final test accuracy {final:.3f}", flush=True)
    with open(os.path.join(ckpt_dir, "result.json"), "w") as f:
        json.dump({"epochs": args.epochs, "test_accuracy": final}, f)
    return 0 if final > 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
