"""Drawing helpers for label maps, heat maps, points and instances (numpy in, numpy out)."""
from .drawing import draw_instances, draw_points, overlay_heatmap, overlay_label_map, tile

__all__ = ['overlay_label_map', 'overlay_heatmap', 'draw_points', 'draw_instances', 'tile']
