"""train_batch == train, job by job: the same predictions (and, on the CPU, the same
weights bit for bit), whatever the other jobs of the batch."""

import unittest

import numpy as np
import torch

from support import blobs, digits, images
from sieve_torch.blocks import ROW_BLOCK, chunk_bounds, tree_sum
from sieve_torch.data import JobData
from sieve_torch.trainers import cnn, logreg, mlp

CPU = torch.device("cpu")


def quiet(done, total):
    pass


def digit_jobs(sizes, seed=0):
    """Jobs on random subsets of digits; job 1 is binary (classes 0 and 7), job 2 lacks classes 8 and 9."""
    x, y = digits()
    rng = np.random.default_rng(seed)
    jobs = []
    for i, n in enumerate(sizes):
        idx = rng.choice(1400, n, replace=False)
        labels = y[idx].copy()
        if i == 1:
            labels = np.where(labels < 5, 0, 7)
        if i == 2:
            labels = np.where(labels >= 8, labels - 8, labels)
        jobs.append(JobData(f"jobs[{i}].", x[idx], labels, x[1400 : 1400 + 60 * (i + 1)], ""))
    return jobs


class TreeSumTest(unittest.TestCase):
    def test_zero_padding_changes_nothing(self):
        parts = torch.randn(3, 5, 4, generator=torch.Generator().manual_seed(0))
        for extra in (1, 3, 11, 27):
            padded = torch.cat([parts, torch.zeros(3, extra, 4)], 1)
            self.assertTrue(torch.equal(tree_sum(parts, 1), tree_sum(padded, 1)))

    def test_pairs_adjacent_parts(self):
        parts = torch.tensor([[1e8, 1.0, -1e8, 1.0]], dtype=torch.float32)
        # ((1e8 + 1) + (-1e8 + 1)) in float32: both 1s are lost, so the tree gives 0, not 2
        self.assertEqual(tree_sum(parts, 1).item(), 0.0)

    def test_chunks_are_aligned_powers_of_two(self):
        self.assertEqual([(r.start, r.stop) for r in chunk_bounds(3)], [(0, 3)])
        self.assertEqual([(r.start, r.stop) for r in chunk_bounds(70)], [(0, 32), (32, 64), (64, 70)])


class LogRegBatchTest(unittest.TestCase):
    def test_five_jobs_of_different_sizes(self):
        # 1300 rows: 6 blocks; 40 rows: less than a block; 2 * ROW_BLOCK exactly; ...
        jobs = digit_jobs([1300, 40, 2 * ROW_BLOCK, 700, 257])
        params = {"C": 0.5, "maxIter": 60, "tol": 1e-4}
        batch = logreg.fit(jobs, params, 10, CPU)
        batch_pred = logreg.fit_predict(jobs, params, 0, 10, CPU, quiet)
        for j, job in enumerate(jobs):
            with self.subTest(job=j):
                alone = logreg.fit([job], params, 10, CPU)
                self.assertEqual(batch.iterations[j], alone.iterations[0])
                self.assertTrue(torch.equal(batch.weights[j], alone.weights[0]))
                pred = logreg.fit_predict([job], params, 0, 10, CPU, quiet).predictions[0]
                np.testing.assert_array_equal(batch_pred.predictions[j], pred)
        # job 1 is binary: only its two classes are predicted; job 2 never predicts 8 or 9
        self.assertEqual(set(np.unique(batch_pred.predictions[1])) - {0, 7}, set())
        self.assertFalse(np.isin(batch_pred.predictions[2], [8, 9]).any())
        self.assertTrue((batch.weights[2][:, 8:] == 0).all())

    def test_many_blocks_and_chunks(self):
        # 70 blocks: three chunks for the big job, one for the small
        x, y = blobs(70 * ROW_BLOCK, 3, 4, seed=3, spread=3.0)
        jobs = [JobData("jobs[0].", x, y, x[:50], ""), JobData("jobs[1].", x[:300], y[:300], x[:50], "")]
        params = {"C": 1.0, "maxIter": 15, "tol": 1e-4}
        batch = logreg.fit(jobs, params, 4, CPU)
        for j, job in enumerate(jobs):
            alone = logreg.fit([job], params, 4, CPU)
            self.assertTrue(torch.equal(batch.weights[j], alone.weights[0]))


class MlpBatchTest(unittest.TestCase):
    def check(self, jobs, params, classes):
        batch = mlp.fit(jobs, params, 4, classes, CPU, quiet)
        batch_pred = mlp.fit_predict(jobs, params, 4, classes, CPU, quiet)
        for j, job in enumerate(jobs):
            with self.subTest(job=j):
                alone = mlp.fit([job], params, 4, classes, CPU, quiet)
                self.assertEqual(batch.iterations[j], alone.iterations[0])
                self.assertTrue(torch.equal(batch.first[j], alone.first[0]))
                self.assertTrue(torch.equal(batch.second[j], alone.second[0]))
                pred = mlp.fit_predict([job], params, 4, classes, CPU, quiet).predictions[0]
                np.testing.assert_array_equal(batch_pred.predictions[j], pred)

    def test_five_jobs_of_different_sizes(self):
        # 20 rows: fewer than a batch; the others have 1..19 steps per epoch and partial last batches
        jobs = digit_jobs([1200, 20, 300, 64, 777])
        self.check(jobs, {"hidden": 24, "epochs": 3, "batchSize": 64, "learningRate": 0.01, "weightDecay": 0.01}, 10)

    def test_batches_of_several_row_blocks(self):
        jobs = digit_jobs([1000, 300, 530])
        self.check(jobs, {"hidden": 16, "epochs": 2, "batchSize": 600, "learningRate": 0.01, "weightDecay": 0.0}, 10)


class CnnBatchTest(unittest.TestCase):
    def test_jobs_run_one_after_another(self):
        x, y = images(70, 3, seed=5)
        jobs = [JobData("jobs[0].", x[:40], y[:40], x[50:], ""), JobData("jobs[1].", x[10:33], y[10:33], x[40:], "")]
        params = {"epochs": 1, "batchSize": 16, "learningRate": 0.003, "weightDecay": 0.01}
        seen = []
        batch = cnn.fit_predict(jobs, params, 2, 3, CPU, lambda done, total: seen.append((done, total)))
        self.assertEqual(seen, [(1, 2), (2, 2)])
        self.assertEqual(batch.iterations, [3, 2])
        for j, job in enumerate(jobs):
            alone = cnn.fit_predict([job], params, 2, 3, CPU, quiet)
            np.testing.assert_array_equal(batch.predictions[j], alone.predictions[0])


if __name__ == "__main__":
    unittest.main()
