"""Writes a VOTable with astropy for the reader tests: argv[1] is the serialization (tabledata, binary, binary2),
argv[2] the output path. The table has every scalar type the reader maps, nulls (masked cells) and a string column."""
import sys

import numpy as np
from astropy.io.votable import from_table
from astropy.table import MaskedColumn, Table

serialization, path = sys.argv[1], sys.argv[2]
n = 5
table = Table()
table['id'] = MaskedColumn(np.array([1, 2, 3, 9007199254740993, -7], dtype=np.int64), mask=[0, 0, 1, 0, 0])
table['ra'] = np.array([10.5, 20.25, 0.0, 359.9, 180.0])
table['ra'].unit = 'deg'
table['dec'] = np.array([-30.0, 0.5, 89.9, -89.9, 1e-300])
table['flux'] = MaskedColumn(np.array([1.5, 2.5, 3.5, 4.5, 5.5], dtype=np.float32), mask=[0, 1, 0, 0, 0])
table['small'] = np.array([1, -2, 3, 32767, -32768], dtype=np.int16)
table['mid'] = MaskedColumn(np.array([1, 2, 3, 4, 2147483647], dtype=np.int32), mask=[0, 0, 0, 1, 0])
table['ok'] = np.array([True, False, True, True, False])
table['name'] = np.array(['alpha', 'b<&>', 'ünï', '', 'e e'])
votable = from_table(table)
field = votable.get_first_table().get_field_by_id('ra')
field.ucd = 'pos.eq.ra'
# BINARY has no null bitmap: masked integers need a VALUES null (BINARY2 and TABLEDATA do not use it).
votable.get_first_table().get_field_by_id('id').values.null = -(2**63)
votable.get_first_table().get_field_by_id('mid').values.null = -999
votable.to_xml(path, tabledata_format=serialization)
