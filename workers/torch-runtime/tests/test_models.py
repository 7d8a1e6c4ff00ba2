"""The trainers' numbers: logreg against scikit-learn, AdamW against torch.optim.AdamW,
and the same request twice giving the same bits."""

import unittest
import warnings

import numpy as np
import torch

from support import blobs, digits, images
from sieve_torch.adamw import BatchedAdamW
from sieve_torch.data import JobData
from sieve_torch.trainers import cnn, logreg, mlp

CPU = torch.device("cpu")


def quiet(done, total):
    pass


def sklearn_accuracy(x, y, px, py, C, max_iter, tol):
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "lbfgs failed to converge" on the capped runs
        model = LogisticRegression(C=C, max_iter=max_iter, tol=tol).fit(x, y)
    return (model.predict(px) == py).mean()


class LogRegVsSklearnTest(unittest.TestCase):
    def test_digits_accuracy_within_half_a_percent(self):
        x, y = digits()
        split = 1200
        for C, max_iter in ((1.0, 100), (1.0, 1000), (0.05, 100), (20.0, 300)):
            with self.subTest(C=C, maxIter=max_iter):
                params = {"C": C, "maxIter": max_iter, "tol": 1e-4}
                job = JobData("", x[:split], y[:split], x[split:], "")
                ours = (logreg.fit_predict([job], params, 0, 10, CPU, quiet).predictions[0] == y[split:]).mean()
                theirs = sklearn_accuracy(x[:split], y[:split], x[split:], y[split:], C, max_iter, 1e-4)
                self.assertLessEqual(abs(ours - theirs), 0.005, f"torch {ours:.4f} vs sklearn {theirs:.4f}")

    def test_binary_accuracy_within_half_a_percent(self):
        x, y = digits()
        pick = np.isin(y, (3, 8))
        x, y = x[pick], y[pick]
        split = 200
        for C in (0.01, 1.0):
            with self.subTest(C=C):
                params = {"C": C, "maxIter": 200, "tol": 1e-4}
                job = JobData("", x[:split], y[:split], x[split:], "")
                pred = logreg.fit_predict([job], params, 0, 10, CPU, quiet).predictions[0]
                self.assertEqual(set(np.unique(pred)) - {3, 8}, set())
                ours = (pred == y[split:]).mean()
                theirs = sklearn_accuracy(x[:split], y[:split], x[split:], y[split:], C, 200, 1e-4)
                self.assertLessEqual(abs(ours - theirs), 0.005, f"torch {ours:.4f} vs sklearn {theirs:.4f}")


class GradientTest(unittest.TestCase):
    """The hand-written gradients against autograd on the textbook formulas."""

    def test_logreg_loss_and_gradient(self):
        x, y = blobs(300, 6, 4, seed=2)
        y[y == 3] = 0  # class 3 absent
        absent = np.array([[False, False, False, True]])
        objective = logreg.LogLoss([x], [y], absent, [0.7], CPU)
        w = torch.randn(1, 7 * 4, generator=torch.Generator().manual_seed(1)) * 0.3
        w.view(7, 4)[:, 3] = 0
        f, g = objective([0], w)
        ref = w.view(7, 4).clone().requires_grad_(True)
        z = torch.from_numpy(x) @ ref[:6, :3] + ref[6, :3]
        loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(y), reduction="sum") + 0.35 * (ref[:6] ** 2).sum()
        loss.backward()
        self.assertAlmostEqual(f.item(), loss.item(), delta=1e-4 * abs(loss.item()))
        self.assertTrue(torch.allclose(g.view(7, 4), ref.grad, rtol=1e-4, atol=1e-4))

    def test_mlp_gradient(self):
        x, y = blobs(50, 5, 3, seed=3)
        w1, w2 = mlp.initial_weights(5, 8, 3, seed=0)
        first, second = w1.unsqueeze(0), w2.unsqueeze(0)
        rows = torch.cat([torch.from_numpy(x), torch.ones(50, 1)], 1)
        net = mlp._Network(1, 1, 64, 3, CPU)
        xb = torch.zeros(1, 64, 6)
        xb[0, :50] = rows
        yb = torch.zeros(1, 64, dtype=torch.long)
        yb[0, :50] = torch.from_numpy(y)
        g1, g2 = net.gradients(first, second, xb, yb, torch.tensor([50]))
        a, b = w1.clone().requires_grad_(True), w2.clone().requires_grad_(True)
        hidden = torch.relu(rows @ a)
        logits = torch.cat([hidden, torch.ones(50, 1)], 1) @ b
        torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).backward()
        self.assertTrue(torch.allclose(g1[0], a.grad, rtol=1e-4, atol=1e-6))
        self.assertTrue(torch.allclose(g2[0], b.grad, rtol=1e-4, atol=1e-6))


class AdamWTest(unittest.TestCase):
    def test_matches_torch_adamw_to_rounding(self):
        gen = torch.Generator().manual_seed(0)
        start = torch.randn(5, 3, generator=gen)
        grads = [torch.randn(5, 3, generator=gen) for _ in range(20)]
        ours = start.clone().unsqueeze(0)
        optimizer = BatchedAdamW([ours], 1, lr=0.01, weight_decay=0.1, max_steps=20)
        p = start.clone().requires_grad_(True)
        reference = torch.optim.AdamW([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
        for g in grads:
            optimizer.step([g.unsqueeze(0)], torch.tensor([True]))
            p.grad = g.clone()
            reference.step()
        self.assertTrue(torch.allclose(ours[0], p.detach(), rtol=1e-5, atol=1e-6))

    def test_inactive_jobs_are_untouched(self):
        params = torch.ones(2, 3)
        optimizer = BatchedAdamW([params], 2, lr=0.1, weight_decay=0.5, max_steps=1)
        optimizer.step([torch.ones(2, 3)], torch.tensor([True, False]))
        self.assertTrue(torch.equal(params[1], torch.ones(3)))
        self.assertFalse(torch.equal(params[0], torch.ones(3)))
        self.assertEqual(optimizer.steps.tolist(), [1, 0])


class DeterminismTest(unittest.TestCase):
    def test_same_request_twice(self):
        x, y = blobs(300, 8, 4, seed=7)
        job = JobData("", x[:250], y[:250], x[250:], "")
        px, py = images(40, 3, seed=8)
        image_job = JobData("", px[:30], py[:30], px[30:], "")
        cases = [
            (logreg, {"C": 1.0, "maxIter": 50, "tol": 1e-4}, job, 4),
            (mlp, {"hidden": 16, "epochs": 3, "batchSize": 32, "learningRate": 0.01, "weightDecay": 0.01}, job, 4),
            (cnn, {"epochs": 1, "batchSize": 8, "learningRate": 0.003, "weightDecay": 0.0}, image_job, 3),
        ]
        for module, params, data, classes in cases:
            with self.subTest(trainer=module.NAME):
                first = module.fit_predict([data], params, 5, classes, CPU, quiet)
                second = module.fit_predict([data], params, 5, classes, CPU, quiet)
                np.testing.assert_array_equal(first.predictions[0], second.predictions[0])
                self.assertEqual(first.iterations, second.iterations)

    def test_mlp_weights_depend_on_the_seed_only(self):
        x, y = blobs(100, 4, 3, seed=1)
        job = JobData("", x, y, x[:5], "")
        params = {"hidden": 8, "epochs": 2, "batchSize": 16, "learningRate": 0.01, "weightDecay": 0.0}
        a = mlp.fit([job], params, 1, 3, CPU, quiet)
        b = mlp.fit([job], params, 1, 3, CPU, quiet)
        c = mlp.fit([job], params, 2, 3, CPU, quiet)
        self.assertTrue(torch.equal(a.first, b.first) and torch.equal(a.second, b.second))
        self.assertFalse(torch.equal(a.first, c.first))

    def test_mlp_starts_from_nn_linear_init(self):
        w1, w2 = mlp.initial_weights(6, 4, 3, seed=12)
        torch.manual_seed(12)
        first, second = torch.nn.Linear(6, 4), torch.nn.Linear(4, 3)
        self.assertTrue(torch.equal(w1[:6], first.weight.detach().t()) and torch.equal(w1[6], first.bias.detach()))
        self.assertTrue(torch.equal(w2[:4], second.weight.detach().t()) and torch.equal(w2[4], second.bias.detach()))

    def test_ties_go_to_the_lowest_class(self):
        # all-zero weights: every score ties, every prediction is the lowest present class
        x = np.zeros((4, 3), np.float32)
        job = JobData("", x, np.array([2, 5, 2, 5]), x, "")
        pred = logreg.fit_predict([job], {"C": 1.0, "maxIter": 5, "tol": 0.0}, 0, 6, CPU, quiet).predictions[0]
        np.testing.assert_array_equal(pred, [2, 2, 2, 2])


if __name__ == "__main__":
    unittest.main()
