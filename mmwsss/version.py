__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse ``'0.1.0rc1'`` into ``(0, 1, 0, 'rc1')``."""
    info = []
    for part in version_str.split('.'):
        if part.isdigit():
            info.append(int(part))
        else:
            digits = ''.join(ch for ch in part if ch.isdigit())
            info.append(int(digits) if digits else 0)
            info.append(part[len(digits):])
    return tuple(info)


version_info = parse_version_info(__version__)
