"""The torch -> Flax module-path rule for networks whose Flax submodules are
named after the torch ones: ``.`` separates modules, and a numeric index (an
``nn.Sequential``/``nn.ModuleList`` entry) is joined to its parent with ``_``.

``attn.q`` -> ('attn', 'q'); ``to_out.0`` -> ('to_out_0',);
``blocks.2.mlp.dwconv.dwconv`` -> ('blocks_2', 'mlp', 'dwconv', 'dwconv').
"""


def dotted_module_path(prefix):
    """Torch module prefix -> tuple of Flax module names (see the module docstring)."""
    path = []
    for part in prefix.split("."):
        if part.isdigit() and path:
            path[-1] = f"{path[-1]}_{part}"
        else:
            path.append(part)
    return tuple(path)
