"""L-BFGS for many independent problems at once: torch.optim.LBFGS's algorithm, one
instance per job, with the objective of all jobs evaluated in one batched call.

torch.optim.LBFGS minimizes ONE function of one parameter set; summing the jobs'
objectives would couple them (one line search, one history, shared dot products), so
it cannot train jobs side by side as if alone. `lbfgs_steps` is the body of
`torch.optim.LBFGS.step` (torch 1.13.1, torch/optim/lbfgs.py, with
line_search_fn="strong_wolfe") turned inside out: a generator that yields the point it
wants evaluated and receives (loss, gradient), so a driver can run one per job and
evaluate all their pending points together. Same arithmetic, same tensor-or-float
types, same order: fed by the same closure, it takes the same steps as
torch.optim.LBFGS, bit for bit (tests/test_lbfgs.py checks this against the installed
torch).

The vectors live on the CPU (float32) whatever device evaluates the objective: the
algebra is a few vectors of the parameter count, the objective is the cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generator, List, Optional, Sequence, Tuple

import torch

Evaluation = Tuple[float, torch.Tensor]  # (loss, flat gradient)
Steps = Generator[torch.Tensor, Evaluation, "LbfgsResult"]


@dataclass
class LbfgsResult:
    x: torch.Tensor
    iterations: int  # torch's state["n_iter"]
    evaluations: int  # torch's func_evals


def lbfgs_steps(
    x: torch.Tensor,
    *,
    max_iter: int,
    tolerance_grad: float,
    history_size: int = 10,
    lr: float = 1,
    max_eval: Optional[int] = None,
    tolerance_change: float = 1e-9,
) -> Steps:
    """Minimizes from x (a flat float32 vector): yields points, receives (loss, gradient)
    at each, returns the result. One call of torch.optim.LBFGS.step on a fresh optimizer."""
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    loss, flat_grad = yield x
    current_evals = 1
    opt_cond = flat_grad.abs().max() <= tolerance_grad
    if opt_cond:
        return LbfgsResult(x, 0, current_evals)

    d = t = None
    old_dirs: List[torch.Tensor] = []
    old_stps: List[torch.Tensor] = []
    ro: List[torch.Tensor] = []
    H_diag = 1
    prev_flat_grad = None
    prev_loss = None
    al: List = [None] * history_size

    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1

        # the descent direction
        if n_iter == 1:
            d = flat_grad.neg()
            old_dirs, old_stps, ro = [], [], []
            H_diag = 1
        else:
            y = flat_grad.sub(prev_flat_grad)
            s = d.mul(t)
            ys = y.dot(s)
            if ys > 1e-10:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = ys / y.dot(y)
            num_old = len(old_dirs)
            q = flat_grad.neg()
            for i in range(num_old - 1, -1, -1):
                al[i] = old_stps[i].dot(q) * ro[i]
                q.add_(old_dirs[i], alpha=-al[i])
            d = r = torch.mul(q, H_diag)
            for i in range(num_old):
                be_i = old_dirs[i].dot(r) * ro[i]
                r.add_(old_stps[i], alpha=al[i] - be_i)

        if prev_flat_grad is None:
            prev_flat_grad = flat_grad.clone(memory_format=torch.contiguous_format)
        else:
            prev_flat_grad.copy_(flat_grad)
        prev_loss = loss

        # the step length
        if n_iter == 1:
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
        else:
            t = lr
        gtd = flat_grad.dot(d)
        if gtd > -tolerance_change:
            break

        loss, flat_grad, t, ls_func_evals = yield from _strong_wolfe(x, t, d, loss, flat_grad, gtd)
        x = x.add(d, alpha=t)
        opt_cond = flat_grad.abs().max() <= tolerance_grad
        current_evals += ls_func_evals

        if n_iter == max_iter:
            break
        if current_evals >= max_eval:
            break
        if opt_cond:
            break
        if d.mul(t).abs().max() <= tolerance_change:
            break
        if abs(loss - prev_loss) < tolerance_change:
            break

    return LbfgsResult(x, n_iter, current_evals)


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through two points with values and slopes, clamped."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square.sqrt()
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search along d from x for a step t meeting the strong Wolfe conditions:
    bracketing, then zoom by cubic interpolation (torch's `_strong_wolfe`)."""
    d_norm = d.abs().max()
    g = g.clone(memory_format=torch.contiguous_format)
    f_new, g_new = yield x.add(d, alpha=t)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=torch.contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t]
            bracket_f = [f_new]
            bracket_g = [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t]
            bracket_f = [f_prev, f_new]
            bracket_g = [g_prev, g_new.clone(memory_format=torch.contiguous_format)]
            bracket_gtd = [gtd_prev, gtd_new]
            break

        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev = tmp
        f_prev = f_new
        g_prev = g_new.clone(memory_format=torch.contiguous_format)
        gtd_prev = gtd_new
        f_new, g_new = yield x.add(d, alpha=t)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:
        bracket = [0, t]
        bracket_f = [f, f_new]
        bracket_g = [g, g_new]

    # zoom
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t at least 10% of the bracket away from its ends when progress stalls
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = yield x.add(d, alpha=t)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo not met, or not below the lowest point: the new point is the high end
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new.clone(memory_format=torch.contiguous_format)
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new.clone(memory_format=torch.contiguous_format)
            bracket_gtd[low_pos] = gtd_new

    t = bracket[low_pos]
    f_new = bracket_f[low_pos]
    g_new = bracket_g[low_pos]
    return f_new, g_new, t, ls_func_evals


BatchObjective = Callable[[Sequence[int], torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]
"""(jobs, points (len(jobs), P) on the CPU) -> (losses (len(jobs),), gradients (len(jobs), P)),
any device: the objective of each listed job at its point."""


def minimize_jobs(objective: BatchObjective, x0: torch.Tensor, **options) -> List[LbfgsResult]:
    """Runs `lbfgs_steps` for every row of x0 (J, P) in lockstep: each round evaluates the
    points all unfinished jobs are waiting for in one call, then hands each job its own
    (loss, gradient). A job's steps depend on its own evaluations only, so they are the
    same whichever jobs run beside it, as long as the objective's values are."""
    x0 = x0.detach().to("cpu", torch.float32)
    runs = [lbfgs_steps(x0[j].clone(), **options) for j in range(x0.shape[0])]
    results: List[Optional[LbfgsResult]] = [None] * len(runs)
    pending = {j: next(run) for j, run in enumerate(runs)}
    while pending:
        jobs = sorted(pending)
        f, g = objective(jobs, torch.stack([pending[j] for j in jobs]))
        f = f.detach().cpu()
        g = g.detach().cpu()
        for row, j in enumerate(jobs):
            try:
                pending[j] = runs[j].send((float(f[row]), g[row].clone()))
            except StopIteration as stop:
                results[j] = stop.value
                del pending[j]
    return results  # type: ignore[return-value]
