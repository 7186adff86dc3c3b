"""The values tests/programs/store_write_fixture.c writes, recomputed from the same formulas."""
import numpy as np


class Fixture:
    def __init__(self, n_x=7, n_y=5, n_var=50, ps=20.0):
        self.n_x, self.n_y, self.n_var, self.ps = n_x, n_y, n_var, ps
        self.grid_ids = np.array(
            [y * n_x + x for y in range(n_y) for x in range(n_x) if (x + 2 * y) % 3 != 0],
            dtype=np.int64)
        self.n_obs = len(self.grid_ids)
        r = np.arange(self.n_obs, dtype=np.int64)[:, None]
        c = np.arange(n_var, dtype=np.int64)[None, :]
        v = (r + 1).astype(np.float64) * 1000.0 + c + 0.25
        v = np.where((r + c) % 11 == 0, -v, v)
        self.dense = np.where((r * 7 + c * 3) % 5 == 0, v, 0.0)
        self.mz = 100.0 + np.arange(n_var) * 0.5
        self.x = (self.grid_ids % n_x).astype(np.int32)
        self.y = (self.grid_ids // n_x).astype(np.int32)
        self.ids = [str(g) for g in self.grid_ids]
        tic = np.zeros(n_x * n_y)
        for row, g in enumerate(self.grid_ids):
            for col in range(n_var):  # same summation order as the C program
                tic[g] += self.dense[row, col]
        self.tic = tic.reshape(1, n_y, n_x)
        avg = np.zeros(n_var)
        for col in range(n_var):
            s = 0.0
            for row in range(self.n_obs):
                s += self.dense[row, col]
            avg[col] = s / self.n_obs
        self.average = avg

    def box(self, row):
        g = self.grid_ids[row]
        x, y = (g % self.n_x) * self.ps, (g // self.n_x) * self.ps
        h = self.ps / 2
        return x - h, y - h, x + h, y + h
