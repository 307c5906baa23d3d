"""Helpers shared by the benchmark scripts: process memory (Linux /proc) and one optimizer step."""
import contextlib

__all__ = ['status_kb', 'reset_peak_rss', 'sgd_step']


def status_kb(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak) of this process in kB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (``clear_refs`` 5), so that it measures what follows; False if refused."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def sgd_step(model, optimizer, data: dict, autocast_bf16: bool = False, prepare=None, context=None) -> float:
    """One training step of an mmengine model: data preprocessor, losses, backward, update; returns the loss.

    ``prepare`` may change the preprocessed data (e.g. its memory format) before the forward pass; ``context``
    (a callable returning a context manager, e.g. an optimizer wrapper's ``optim_context``) replaces the plain
    autocast region of ``autocast_bf16``.
    """
    import torch
    data = model.data_preprocessor(data, True)
    if prepare is not None:
        data = prepare(data)
    if context is not None:
        ctx = context()
    else:
        ctx = torch.autocast('cpu', dtype=torch.bfloat16) if autocast_bf16 else contextlib.nullcontext()
    with ctx:
        losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss)
