"""lbfgs.py takes torch.optim.LBFGS's steps, bit for bit, when fed the same closure."""

import unittest

import numpy as np
import torch

from support import digits
from sieve_torch.lbfgs import minimize_jobs
from sieve_torch.trainers.logreg import LogLoss

CPU = torch.device("cpu")


def torch_lbfgs(objective, size, **options):
    """torch.optim.LBFGS.step on one flat parameter, the objective of job 0 as the closure."""
    p = torch.zeros(size, requires_grad=True)
    optimizer = torch.optim.LBFGS([p], line_search_fn="strong_wolfe", **options)

    def closure():
        f, g = objective([0], p.detach().view(1, -1))
        p.grad = g[0].clone()
        return f[0]

    optimizer.step(closure)
    state = optimizer.state[p]
    return p.detach(), state["n_iter"], state["func_evals"]


def rosenbrock(jobs, points):
    """The Rosenbrock function of each point (any even length), f32."""
    x = points.clone().requires_grad_(True)
    a, b = x[:, 0::2], x[:, 1::2]
    f = (100 * (b - a * a) ** 2 + (1 - a) ** 2).sum(1)
    f.sum().backward()
    return f.detach(), x.grad


class LbfgsTest(unittest.TestCase):
    def test_same_steps_as_torch_on_logreg(self):
        x, y = digits()
        cases = [
            (x[:500], y[:500], 1.0, dict(max_iter=40, tolerance_grad=1e-4)),
            (x[:300], np.where(y[:300] < 5, 0, 1), 2.0, dict(max_iter=100, tolerance_grad=1e-3)),
            (x[:800], y[:800], 0.01, dict(max_iter=200, tolerance_grad=1e-2)),
        ]
        for xs, ys, l2, options in cases:
            with self.subTest(rows=xs.shape[0], **options):
                classes = int(ys.max()) + 1
                objective = LogLoss([xs], [ys], np.zeros((1, classes), bool), [l2], CPU)
                size = (xs.shape[1] + 1) * classes
                ours = minimize_jobs(objective, torch.zeros(1, size), history_size=10, **options)[0]
                theirs, n_iter, evals = torch_lbfgs(objective, size, history_size=10, **options)
                self.assertEqual(ours.iterations, n_iter)
                self.assertEqual(ours.evaluations, evals)
                self.assertTrue(torch.equal(ours.x, theirs))

    def test_same_steps_as_torch_on_rosenbrock(self):
        start = torch.tensor([[-1.5, 2.0, 0.5, -0.7]])
        ours = minimize_jobs(rosenbrock, start, max_iter=200, tolerance_grad=1e-7, history_size=10)[0]
        p = start[0].clone().requires_grad_(True)
        optimizer = torch.optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=200, tolerance_grad=1e-7, history_size=10)

        def closure():
            f, g = rosenbrock([0], p.detach().view(1, -1))
            p.grad = g[0].clone()
            return f[0]

        optimizer.step(closure)
        self.assertEqual(ours.iterations, optimizer.state[p]["n_iter"])
        self.assertTrue(torch.equal(ours.x, p.detach()))
        self.assertTrue(torch.allclose(ours.x, torch.ones(4), atol=1e-3))

    def test_jobs_do_not_see_each_other(self):
        starts = torch.tensor([[-1.5, 2.0], [0.9, 0.8], [3.0, -1.0]])
        together = minimize_jobs(rosenbrock, starts, max_iter=100, tolerance_grad=1e-6)
        for j in range(3):
            alone = minimize_jobs(rosenbrock, starts[j : j + 1], max_iter=100, tolerance_grad=1e-6)[0]
            self.assertEqual(together[j].iterations, alone.iterations)
            self.assertTrue(torch.equal(together[j].x, alone.x))

    def test_already_optimal(self):
        [result] = minimize_jobs(rosenbrock, torch.ones(1, 2), max_iter=10, tolerance_grad=1e-5)
        self.assertEqual((result.iterations, result.evaluations), (0, 1))


if __name__ == "__main__":
    unittest.main()
