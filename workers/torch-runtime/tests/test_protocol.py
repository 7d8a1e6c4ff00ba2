"""The protocol end to end: the runtime as a child process, JSON lines in and out."""

import os
import subprocess
import sys
import unittest

import numpy as np

from support import RUNTIME_DIR, Files, Runtime, blobs, digits, digits_28, images

LOGREG = {"C": 1.0, "maxIter": 100, "tol": 1e-4}
MLP = {"hidden": 32, "epochs": 3, "batchSize": 64, "learningRate": 0.01, "weightDecay": 0.0001}
CNN = {"epochs": 2, "batchSize": 32, "learningRate": 0.003, "weightDecay": 0.0}


def train(trainer, params, job, classes, seed=0, **extra):
    return {"op": "train", "trainer": trainer, "params": params, "seed": seed, "classes": classes, **job, "device": "cpu", **extra}


class ProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files = Files()
        cls.runtime = Runtime()
        x, y = blobs(90, 5, 3, seed=1)
        cls.small = cls.files.job("small", x[:60], y[:60], x[60:])
        cls.small_truth = y[60:]
        dx, dy = digits()
        cls.digits = cls.files.job("digits", dx[:1000], dy[:1000], dx[1000:1400])
        cls.digits_truth = dy[1000:1400]

    @classmethod
    def tearDownClass(cls):
        code = cls.runtime.close()
        cls.files.close()
        assert code == 0, f"exit status {code}"

    def request(self, body):
        return self.runtime.request(body)

    def result(self, body):
        events = self.request(body)
        final = events[-1]
        self.assertEqual(final["event"], "result", f"{final}\n{self.runtime.stderr_text()}")
        return events

    def error(self, body, needle):
        events = self.request(body)
        self.assertEqual(len(events), 1)
        final = events[0]
        self.assertEqual(final["event"], "error", final)
        self.assertEqual(final["code"], "invalid_request", final)
        self.assertIn(needle, final["message"])
        return final

    def predictions(self, path, rows):
        with open(path, "rb") as f:
            self.assertEqual(f.read(6), b"\x93NUMPY")
        p = np.load(path)
        self.assertEqual(p.dtype, np.dtype("<i4"))
        self.assertEqual(p.shape, (rows,))
        return p

    def test_hello(self):
        [ready] = self.request({"id": "h1", "op": "hello"})
        self.assertEqual(ready["id"], "h1")
        self.assertEqual(ready["event"], "ready")
        self.assertEqual(ready["runtime"], {"name": "sieve-torch", "version": "1.0.0"})
        import torch

        self.assertEqual(ready["torch"], torch.__version__)
        self.assertIn(ready["device"], ("cpu", "cuda"))
        self.assertIsInstance(ready["deviceName"], str)
        self.assertTrue(ready["deviceName"])

    def test_logreg_small(self):
        events = self.result(train("logreg", LOGREG, self.small, 3))
        final = events[-1]
        self.assertEqual(final["trainer"], {"name": "torch-logreg", "version": "1.0.0", "device": "cpu"})
        self.assertEqual(final["out"], self.small["out"])
        self.assertGreaterEqual(final["iterations"], 1)
        self.assertGreaterEqual(final["ms"], 0)
        p = self.predictions(self.small["out"], 30)
        self.assertGreater((p == self.small_truth).mean(), 0.9)

    def test_mlp_small_reports_each_epoch(self):
        events = self.result(train("mlp", MLP, self.small, 3))
        progress = [e for e in events if e["event"] == "progress"]
        self.assertEqual([(e["epoch"], e["epochs"]) for e in progress], [(1, 3), (2, 3), (3, 3)])
        final = events[-1]
        self.assertEqual(final["trainer"]["name"], "torch-mlp")
        self.assertEqual(final["iterations"], 3 * 1)  # 60 rows, batches of 64
        self.predictions(self.small["out"], 30)

    def test_cnn_small(self):
        x, y = images(80, 3, seed=2)
        job = self.files.job("cnn", x[:60], y[:60], x[60:])
        events = self.result(train("cnn", CNN, job, 3))
        self.assertEqual([e["epoch"] for e in events if e["event"] == "progress"], [1, 2])
        final = events[-1]
        self.assertEqual(final["trainer"]["name"], "torch-cnn")
        self.assertEqual(final["iterations"], 2 * 2)
        p = self.predictions(job["out"], 20)
        self.assertTrue(((p >= 0) & (p < 3)).all())

    def test_digits_logreg_and_mlp(self):
        self.result(train("logreg", LOGREG, self.digits, 10))
        self.assertGreater((self.predictions(self.digits["out"], 400) == self.digits_truth).mean(), 0.9)
        params = {**MLP, "hidden": 64, "epochs": 20}
        self.result(train("mlp", params, self.digits, 10, seed=3))
        self.assertGreater((self.predictions(self.digits["out"], 400) == self.digits_truth).mean(), 0.85)

    def test_digits_cnn(self):
        x, y = digits_28(500)
        job = self.files.job("digits28", x[:400], y[:400], x[400:])
        self.result(train("cnn", {**CNN, "epochs": 3, "learningRate": 0.005}, job, 10, seed=1))
        self.assertGreater((self.predictions(job["out"], 100) == y[400:]).mean(), 0.6)

    def test_train_batch(self):
        x, y = blobs(200, 5, 3, seed=4)
        jobs = [self.files.job(f"batch{i}", x[: 40 + 50 * i], y[: 40 + 50 * i], x[150 : 160 + i]) for i in range(3)]
        body = {"op": "train_batch", "trainer": "mlp", "params": MLP, "seed": 5, "classes": 3, "jobs": jobs, "device": "cpu"}
        final = self.result(body)[-1]
        self.assertEqual(final["trainer"]["name"], "torch-mlp")
        self.assertEqual([r["out"] for r in final["results"]], [j["out"] for j in jobs])
        self.assertEqual([r["iterations"] for r in final["results"]], [3 * 1, 3 * 2, 3 * 3])
        self.assertGreaterEqual(final["ms"], 0)
        for i, job in enumerate(jobs):
            self.predictions(job["out"], 10 + i)

    def test_predict_no_rows(self):
        job = dict(self.small, predict={"x": self.files.save("empty.npy", np.zeros((0, 5), np.float32))}, out=self.files.path("empty-out.npy"))
        self.result(train("logreg", LOGREG, job, 3))
        self.predictions(job["out"], 0)

    def test_same_request_twice_same_bytes(self):
        outs = []
        for i in range(2):
            job = dict(self.digits, out=self.files.path(f"twice-{i}.npy"))
            self.result(train("mlp", MLP, job, 10, seed=11))
            with open(job["out"], "rb") as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1])

    def test_bad_requests_are_answered_and_survived(self):
        small = self.small
        cases = [
            (train("svm", LOGREG, small, 3), 'field "trainer"'),
            (train("logreg", {"C": 1.0, "maxIter": 100}, small, 3), "params.tol is missing"),
            (train("logreg", {**LOGREG, "c": 1}, small, 3), "params.c is not a parameter"),
            (train("logreg", {**LOGREG, "C": 0}, small, 3), "params.C must be a number > 0"),
            (train("mlp", {**MLP, "hidden": 2.5}, small, 3), "params.hidden must be an integer"),
            (train("mlp", {**MLP, "epochs": "3"}, small, 3), "params.epochs"),
            (train("logreg", LOGREG, small, 1), 'field "classes"'),
            (train("logreg", LOGREG, small, 3, seed=-1), 'field "seed"'),
            (train("logreg", LOGREG, small, 3, device="tpu"), 'field "device"'),
            (train("logreg", LOGREG, small, 3, extra=1), 'unknown field "extra"'),
            (train("logreg", LOGREG, dict(small, train={"x": small["train"]["x"]}), 3), "train.y must be a file path"),
            (train("logreg", LOGREG, dict(small, train={**small["train"], "x": "/no/such/file.npy"}), 3), "no file at"),
            (train("logreg", LOGREG, dict(small, out="/no/such/folder/out.npy"), 3), "does not exist"),
            (train("logreg", LOGREG, dict(small, out=small["train"]["x"]), 3), "input files"),
            (train("logreg", LOGREG, small, 2), "outside 0..1"),
            ({"op": "train_batch", "trainer": "mlp", "params": MLP, "seed": 0, "classes": 3, "jobs": []}, 'field "jobs"'),
            ({"op": "train_batch", "trainer": "mlp", "params": MLP, "seed": 0, "classes": 3, "jobs": [small, small]}, "the same file"),
            ({"op": "fly"}, 'field "op"'),
        ]
        for body, needle in cases:
            with self.subTest(needle=needle):
                self.error(body, needle)

        f = self.files
        x64 = f.save("x64.npy", np.zeros((4, 5), np.float64))
        self.error(train("logreg", LOGREG, dict(small, train={**small["train"], "x": x64}), 3), "expected float32")
        nan = np.ones((60, 5), np.float32)
        nan[7, 2] = np.nan
        self.error(train("logreg", LOGREG, dict(small, train={**small["train"], "x": f.save("nan.npy", nan)}), 3), "row 7, feature 2")
        wide = f.save("wide.npy", np.zeros((3, 6), np.float32))
        self.error(train("logreg", LOGREG, dict(small, predict={"x": wide}), 3), "6 features per row")
        short_y = f.save("short-y.npy", np.zeros(10, np.int64))
        self.error(train("logreg", LOGREG, dict(small, train={**small["train"], "y": short_y}), 3), "one label per training row")
        one_class = f.save("one-class.npy", np.full(60, 2, np.int64))
        self.error(train("logreg", LOGREG, dict(small, train={**small["train"], "y": one_class}), 3), "only class 2")
        self.error(train("cnn", CNN, small, 3), "784")
        with open(f.path("junk.npy"), "wb") as junk:
            junk.write(b"not numpy")
        self.error(train("logreg", LOGREG, dict(small, predict={"x": f.path("junk.npy")}), 3), "not a readable .npy")

        # lines that are not requests: answered with id null
        for raw in (b"garbage\n", b"[1, 2]\n", b'{"op": "hello"}\n', b"\xff\xfe\n"):
            with self.subTest(raw=raw):
                self.runtime.send_raw(raw)
                [event] = self.runtime.events_until_final(None)
                self.assertEqual(event["code"], "invalid_request")
        self.runtime.send_raw(b"\n")  # blank lines are skipped

        # still serving
        self.assertEqual(self.request({"op": "hello"})[-1]["event"], "ready")


class LifecycleTest(unittest.TestCase):
    def test_eof_exits_zero(self):
        runtime = Runtime()
        self.assertEqual(runtime.request({"op": "hello"})[-1]["event"], "ready")
        self.assertEqual(runtime.close(), 0)

    def test_eof_right_away_exits_zero(self):
        self.assertEqual(Runtime().close(), 0)

    def test_stray_prints_go_to_stderr(self):
        noisy = (
            "import os, sys\n"
            "import sieve_torch.protocol as protocol\n"
            "hello = protocol.Server.hello\n"
            "def noisy(self, request):\n"
            "    print('stray print')\n"
            "    os.write(1, b'stray write\\n')\n"
            "    hello(self, request)\n"
            "protocol.Server.hello = noisy\n"
            "from sieve_torch.__main__ import main\n"
            "sys.exit(main())\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", noisy], cwd=RUNTIME_DIR, input=b'{"id": "n", "op": "hello"}\n', capture_output=True, timeout=60
        )
        self.assertEqual(done.returncode, 0)
        lines = done.stdout.decode().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('"event":"ready"', lines[0])
        self.assertIn("stray print", done.stderr.decode())
        self.assertIn("stray write", done.stderr.decode())

    def test_two_processes_same_predictions(self):
        files = Files()
        try:
            x, y = digits()
            outs = []
            for i in range(2):
                job = files.job(f"p{i}", x[:600], y[:600], x[600:900])
                runtime = Runtime()
                try:
                    for trainer, params in (("logreg", LOGREG), ("mlp", MLP)):
                        final = runtime.request(train(trainer, params, job, 10, seed=9))[-1]
                        self.assertEqual(final["event"], "result", final)
                        outs.append((trainer, np.load(job["out"])))
                finally:
                    self.assertEqual(runtime.close(), 0)
            for (t1, a), (t2, b) in zip(outs[:2], outs[2:]):
                self.assertEqual(t1, t2)
                np.testing.assert_array_equal(a, b)
        finally:
            files.close()

    def test_memory_budget(self):
        """SIEVE_TORCH_MEMORY_MB: a batch holding more data is refused as out_of_memory, the
        runtime keeps serving, and a smaller batch goes through."""
        files = Files()
        runtime = Runtime({"SIEVE_TORCH_MEMORY_MB": "0.5"})
        try:
            x, y = digits()
            jobs = [files.job(f"b{i}", x[:400], y[:400], x[1000:1100]) for i in range(2)]  # 2 x 0.1 MiB of float32
            body = {"op": "train_batch", "trainer": "logreg", "params": LOGREG, "seed": 0, "classes": 10, "device": "cpu"}
            final = runtime.request({**body, "jobs": jobs})[-1]
            self.assertEqual(final["event"], "result", final)
            big = [files.job(f"c{i}", x[:1000], y[:1000], x[1000:1400]) for i in range(2)]  # 2 x 0.33 MiB
            final = runtime.request({**body, "jobs": big})[-1]
            self.assertEqual(final["event"], "error", final)
            self.assertEqual(final["code"], "out_of_memory", final)
            self.assertIn("SIEVE_TORCH_MEMORY_MB", final["message"])
            final = runtime.request({**body, "jobs": big[:1]})[-1]
            self.assertEqual(final["event"], "result", final)
        finally:
            self.assertEqual(runtime.close(), 0)
            files.close()

    def test_bad_memory_budget_stops_at_start(self):
        done = subprocess.run(
            [sys.executable, "-m", "sieve_torch"], cwd=RUNTIME_DIR, input=b"", capture_output=True, timeout=60,
            env={**os.environ, "SIEVE_TORCH_MEMORY_MB": "lots"},
        )
        self.assertEqual(done.returncode, 2)
        self.assertIn("SIEVE_TORCH_MEMORY_MB must be a number", done.stderr.decode())


if __name__ == "__main__":
    unittest.main()
