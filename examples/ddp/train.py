#!/usr/bin/python3
"""Data-parallel training with torch.distributed (gloo backend, CPU).

Uses only the environment skyrun gives every task of a gang: MASTER_ADDR,
MASTER_PORT, WORLD_SIZE, RANK (and SKYRUN_CHECKPOINT_DIR). Each rank trains
a small MLP on its shard of a generated regression problem; gradients are
averaged with all_reduce, so every rank ends with identical weights, which
the job checks before it reports success.
"""
import os
import sys

import torch
import torch.distributed as dist
import torch.nn as nn


def main():
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    dist.init_process_group("gloo", init_method="env://", rank=rank, world_size=world)
    torch.manual_seed(0)  # same initial weights on every rank
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)

    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own shard
    true_w = torch.arange(1, 9, dtype=torch.float32) / 8.0
    x = torch.randn(512, 8, generator=gen)
    y = (x @ true_w).unsqueeze(1) + 0.01 * torch.randn(512, 1, generator=gen)

    epochs = int(os.environ.get("EPOCHS", "30"))
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        for p in model.parameters():
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world
        opt.step()
        if epoch % 10 == 0 or epoch == 1:
            print(f"rank {rank}/{world} epoch {epoch:3d} loss {loss.item():.5f}", flush=True)

    # Every rank must hold the same weights after synchronous data-parallel SGD.
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    ref = flat.clone()
    dist.broadcast(ref, src=0)
    same = torch.allclose(flat, ref)
    ckpt = os.environ.get("SKYRUN_CHECKPOINT_DIR")
    if rank == 0 and ckpt:
        os.makedirs(ckpt, exist_ok=True)
        torch.save(model.state_dict(), os.path.join(ckpt, "model.pt"))
    dist.barrier()
    dist.destroy_process_group()
    print(f"rank {rank} finished training: weights in sync = {same}, final loss {loss.item():.5f}", flush=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
