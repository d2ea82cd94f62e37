"""A recipe's time to a target test accuracy in PyTorch (eager, or DistributedDataParallel over
gloo) and TensorFlow 2 (a tf.function training step), with the learning-rate schedule mnist-mpi
ran (base rate, linear warm-up to base x factor, then none or cosine decay to zero at the last
step), He initialisation, Adam, the same batch, the same evaluation points, for
scripts/bench-frameworks.sh's time-to-target table.

    time_to_target.py torch eager THREADS [--bf16] --data DIR RECIPE...
    time_to_target.py torch ddp 1 --data DIR RECIPE...       (2 processes x 1 thread, G/2 each)
    time_to_target.py tensorflow eager THREADS --data DIR RECIPE...
    RECIPE: --hidden 256,256 --activation relu --batch G --base-lr R --factor K --warmup-steps W
            --decay none|cosine --total-steps T --target 0.98 --eval-steps N --max-epochs E
            [--model lenet5: mnist-mpi's LeNet-5, conv5x5x6p2,maxpool2,conv5x5x16,maxpool2,fc120,fc84,fc10]

Times count as mnist-mpi's do: from the launch of the process (interpreter start, imports and
data loading included) and from the first step; evaluations on the way are counted. Prints
one JSON line.
"""
import argparse
import json
import math
import os
import sys
import time


def process_start():
    """The wall-clock time this process started (Linux /proc), else now."""
    try:
        with open("/proc/self/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as handle:
            uptime = float(handle.read().split()[0])
        return time.time() - (uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()


LAUNCH = process_start()

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mnist_files import arrays as data  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("framework", choices=["torch", "tensorflow"])
    parser.add_argument("mode", choices=["eager", "ddp"])
    parser.add_argument("threads", type=int)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--data", required=True)
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--model", default="mlp", choices=["mlp", "lenet5"])
    parser.add_argument("--activation", default="relu", choices=["relu", "sigmoid", "tanh"])
    parser.add_argument("--batch", type=int, required=True, help="the global batch")
    parser.add_argument("--base-lr", type=float, required=True)
    parser.add_argument("--factor", type=float, default=1.0)
    parser.add_argument("--warmup-steps", type=int, default=0)
    parser.add_argument("--decay", default="none", choices=["none", "cosine"])
    parser.add_argument("--total-steps", type=int, required=True)
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--eval-steps", type=int, required=True)
    parser.add_argument("--max-epochs", type=int, default=12)
    parser.add_argument("--launch", type=float, default=None, help="(internal) the launcher's start time")
    return parser.parse_args()


def rate(args, step):
    """mnist-mpi's LearningRateSchedule.rate(atStep:)."""
    peak = args.base_lr * args.factor
    if step < args.warmup_steps and args.factor > 1:
        return args.base_lr * (1 + (args.factor - 1) * step / args.warmup_steps)
    if args.decay == "cosine":
        span = max(args.total_steps - args.warmup_steps, 1)
        return peak * 0.5 * (1 + math.cos(math.pi * min((step - args.warmup_steps) / span, 1)))
    return peak


class Clock:
    """Evaluation points and the times to the target."""

    def __init__(self, args, steps_per_epoch, launch):
        self.args, self.steps_per_epoch, self.launch = args, steps_per_epoch, launch
        self.first_step = None
        self.evaluations, self.evaluation_seconds, self.best = 0, 0.0, 0.0
        self.result = None

    def due(self, steps_done):
        return steps_done % self.args.eval_steps == 0 or steps_done % self.steps_per_epoch == 0

    def evaluated(self, accuracy, seconds, steps_done):
        self.evaluations += 1
        self.evaluation_seconds += seconds
        self.best = max(self.best, accuracy)
        if accuracy >= self.args.target and self.result is None:
            now = time.time()
            self.result = {"time_to_target_seconds": now - self.launch,
                           "time_to_target_training_seconds": now - self.first_step,
                           "target_step": steps_done, "target_epochs": steps_done / self.steps_per_epoch,
                           "test_accuracy": accuracy}
        return self.result is not None

    def report(self, framework, version, mode, threads, bf16):
        now = time.time()
        out = {"framework": framework, "version": version, "mode": mode, "threads": threads, "bf16": bf16,
               "target": self.args.target, "reached": self.result is not None, "evaluations": self.evaluations,
               "evaluation_seconds": self.evaluation_seconds, "best_accuracy": self.best,
               "run_seconds": now - self.launch, "training_seconds": now - self.first_step - self.evaluation_seconds}
        out.update(self.result or {})
        return out


# MARK: - PyTorch

def torch_lenet5(torch, args):
    """LeNet-5 as mnist-mpi builds it: max pooling, the activation after every convolution and
    hidden dense layer, He-normal weights (fan-in), zero biases."""
    act = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[args.activation]
    layers = [torch.nn.Unflatten(1, (1, 28, 28)),
              torch.nn.Conv2d(1, 6, 5, padding=2), act(), torch.nn.MaxPool2d(2),
              torch.nn.Conv2d(6, 16, 5), act(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
              torch.nn.Linear(400, 120), act(), torch.nn.Linear(120, 84), act(), torch.nn.Linear(84, 10)]
    for layer in layers:
        if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
            fan_in = layer.weight[0].numel()
            torch.nn.init.normal_(layer.weight, std=math.sqrt(2 / fan_in))
            torch.nn.init.zeros_(layer.bias)
    return torch.nn.Sequential(*layers)


def torch_model(torch, args):
    torch.manual_seed(42)
    if args.model == "lenet5":
        return torch_lenet5(torch, args)
    sizes = [784] + [int(width) for width in args.hidden.split(",")] + [10]
    layers = []
    for index in range(len(sizes) - 1):
        linear = torch.nn.Linear(sizes[index], sizes[index + 1])
        torch.nn.init.normal_(linear.weight, std=math.sqrt(2 / sizes[index]))
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if index < len(sizes) - 2:
            layers.append({"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[args.activation]())
    return torch.nn.Sequential(*layers)


def torch_train(torch, args, launch, rank=0, ranks=1, broadcast=None):
    x_train, y_train, x_test, y_test = data(args.data)
    net = torch_model(torch, args)
    if ranks > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.base_lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    xt = torch.from_numpy(x_test)
    evaluated = net.module if ranks > 1 else net  # rank 0 alone: outside DDP's collectives
    batch = args.batch // ranks
    shard = np.arange(rank, len(x_train), ranks)
    steps_per_epoch = len(shard) // batch
    clock = Clock(args, steps_per_epoch, launch)
    rng = np.random.default_rng(42 + rank)
    step = 0
    clock.first_step = time.time()
    for _ in range(args.max_epochs):
        order = torch.from_numpy(rng.permutation(shard))
        for index in range(steps_per_epoch):
            rows = order[index * batch:(index + 1) * batch]
            for group in optimizer.param_groups:
                group["lr"] = rate(args, step)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                loss = loss_fn(net(x[rows]), y[rows])
            loss.backward()
            optimizer.step()
            step += 1
            if clock.due(step):
                start = time.time()
                stop = torch.zeros(1)
                if rank == 0:
                    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                        accuracy = float((evaluated(xt).argmax(1).numpy() == y_test).mean())
                    stop[0] = float(clock.evaluated(accuracy, time.time() - start, step))
                if broadcast:
                    broadcast(stop)
                if stop[0] > 0:
                    return clock
    return clock


def ddp_worker(rank, args, launch, queue):
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    clock = torch_train(torch, args, launch, rank=rank, ranks=2, broadcast=lambda t: dist.broadcast(t, 0))
    if rank == 0:
        queue.put(clock.report("pytorch", torch.__version__, "ddp", 1, args.bf16))
    dist.destroy_process_group()


def run_torch(args, launch):
    import torch
    if args.mode == "eager":
        torch.set_num_threads(args.threads)
        return torch_train(torch, args, launch).report("pytorch", torch.__version__, "eager", args.threads, args.bf16)
    import socket
    import torch.multiprocessing as mp
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(probe.getsockname()[1]))
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    mp.start_processes(ddp_worker, args=(args, launch, queue), nprocs=2, join=True, start_method="spawn")
    return queue.get()


# MARK: - TensorFlow 2

def run_tensorflow(args, launch):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.random.set_seed(42)
    x_train, y_train, x_test, y_test = data(args.data)
    sizes = [int(width) for width in args.hidden.split(",")]
    if args.model == "lenet5":
        layers = tf.keras.layers
        model = tf.keras.Sequential([
            tf.keras.Input(shape=(784,)), layers.Reshape((28, 28, 1)),
            layers.Conv2D(6, 5, padding="same", activation=args.activation, kernel_initializer="he_normal"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation=args.activation, kernel_initializer="he_normal"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dense(120, activation=args.activation, kernel_initializer="he_normal"),
            layers.Dense(84, activation=args.activation, kernel_initializer="he_normal"),
            layers.Dense(10, kernel_initializer="he_normal")])
    else:
        model = tf.keras.Sequential(
            [tf.keras.Input(shape=(784,))]
            + [tf.keras.layers.Dense(width, activation=args.activation, kernel_initializer="he_normal") for width in sizes]
            + [tf.keras.layers.Dense(10, kernel_initializer="he_normal")])
    # Keras 3 keeps the rate in a variable of its own, set before each step.
    optimizer = tf.keras.optimizers.Adam(learning_rate=args.base_lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))

    @tf.function
    def predict(images):
        return tf.argmax(model(images, training=False), axis=1)

    steps_per_epoch = len(x_train) // args.batch
    clock = Clock(args, steps_per_epoch, launch)
    rng = np.random.default_rng(42)
    step = 0
    clock.first_step = time.time()
    for _ in range(args.max_epochs):
        order = rng.permutation(len(x_train))
        for index in range(steps_per_epoch):
            rows = order[index * args.batch:(index + 1) * args.batch]
            optimizer.learning_rate.assign(rate(args, step))
            train_step(x_train[rows], y_train[rows])
            step += 1
            if clock.due(step):
                start = time.time()
                accuracy = float(np.mean(predict(x_test).numpy() == y_test))
                if clock.evaluated(accuracy, time.time() - start, step):
                    return clock.report("tensorflow", tf.__version__, "eager", args.threads, False)
    return clock.report("tensorflow", tf.__version__, "eager", args.threads, False)


def main():
    args = arguments()
    launch = args.launch or LAUNCH
    report = run_torch(args, launch) if args.framework == "torch" else run_tensorflow(args, launch)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
