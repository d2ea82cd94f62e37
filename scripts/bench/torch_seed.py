"""The seed model (784-256-256-10 sigmoid, N(0,1) weights and biases, softmax cross-entropy,
SGD 0.1, batch 100) in PyTorch, timed per epoch on the same MNIST files, for
scripts/bench-frameworks.sh. Three ways people run it:

    torch_seed.py DATA_DIR eager THREADS EPOCHS [--bf16]   one process, THREADS intra-op threads;
                                                            --bf16: torch.autocast(cpu, bfloat16)
    torch_seed.py DATA_DIR ddp 1 EPOCHS                     DistributedDataParallel, gloo, 2
                                                            processes of 1 thread (spawned here),
                                                            batch 100 each (weak scaling, as mnist-mpi)

Prints one JSON line: median seconds per epoch, test accuracy.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_files import arrays as data  # noqa: E402


def model(torch):
    torch.manual_seed(42)
    layers = []
    sizes = [784, 256, 256, 10]
    for i in range(3):
        linear = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.normal_(linear.weight)
        torch.nn.init.normal_(linear.bias)
        layers.append(linear)
        if i < 2:
            layers.append(torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


def train(torch, net, x_train, y_train, epochs, rank=0, ranks=1, bf16=False):
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(x_train)
    y = torch.from_numpy(y_train)
    shard = np.arange(rank, len(x_train), ranks)
    rng = np.random.default_rng(42 + rank)
    seconds = []
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(shard))
        start = time.perf_counter()
        for step in range(len(shard) // 100):
            batch = order[step * 100:(step + 1) * 100]
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_fn(net(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    return seconds


def accuracy(torch, net, x_test, y_test):
    with torch.no_grad():
        return float((net(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean())


def ddp_worker(rank, directory, epochs, port, queue):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    x_train, y_train, x_test, y_test = data(directory)
    net = torch.nn.parallel.DistributedDataParallel(model(torch))
    seconds = train(torch, net, x_train, y_train, epochs, rank=rank, ranks=2)
    if rank == 0:
        queue.put((seconds, accuracy(torch, net.module, x_test, y_test)))
    dist.destroy_process_group()


def main():
    directory, mode, threads, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bf16 = "--bf16" in sys.argv[5:]
    import torch
    if mode == "eager":
        torch.set_num_threads(threads)
        x_train, y_train, x_test, y_test = data(directory)
        net = model(torch)
        seconds = train(torch, net, x_train, y_train, epochs, bf16=bf16)
        test = accuracy(torch, net, x_test, y_test)
    elif mode == "ddp":
        import socket
        import torch.multiprocessing as mp
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        context = mp.get_context("spawn")
        queue = context.SimpleQueue()
        mp.start_processes(ddp_worker, args=(directory, epochs, port, queue), nprocs=2, join=True,
                           start_method="spawn")
        seconds, test = queue.get()
        threads = 1
    else:
        sys.exit(f"error: mode {mode}: eager or ddp")
    print(json.dumps({"framework": "pytorch", "version": torch.__version__, "mode": mode, "threads": threads,
                      "bf16": bf16, "epoch_seconds": seconds, "median_epoch_seconds": float(np.median(seconds)),
                      "test_accuracy": test}))


if __name__ == "__main__":
    main()
