<!-- DaCHS resource descriptor for the TAP server benchmark (bench/dachs/setup.sh copies it to
     /var/gavo/inputs/meridian_bench/q.rd). It publishes the same Object rows that the Meridian benchmark server
     holds (bench/server-data.ts writes object.csv), indexed with q3c through the //scs#q3cindex mixin, so that a
     CONTAINS(POINT, CIRCLE) = 1 cone becomes an indexed q3c query. Column names and units follow
     config/catalog/dp02.yaml. -->
<resource schema="meridian_bench">
  <meta name="title">Meridian benchmark Object table</meta>
  <meta name="description">Simulated DP0.2-shaped Object rows (meridian sim catalogs), the peer copy of the
    Meridian TAP benchmark's catalog.</meta>
  <meta name="creationDate">2026-12-04T00:00:00Z</meta>
  <meta name="subject">catalogs</meta>
  <meta name="creator.name">Meridian</meta>
  <meta name="content.type">Catalog</meta>

  <table id="object" onDisk="True" adql="True" mixin="//scs#q3cindex" primary="objectId">
    <meta name="description">Objects detected in the simulated coadds, one row per object.</meta>
    <column name="objectId" type="bigint" required="True" ucd="meta.id;meta.main"
      description="Unique id of the object."/>
    <column name="coord_ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"
      description="Right ascension (ICRS)."/>
    <column name="coord_dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"
      description="Declination (ICRS)."/>
    <column name="detect_isPrimary" type="smallint" ucd="meta.code"
      description="1 when the object is a primary detection."/>
    <column name="refExtendedness" type="double precision" ucd="src.extendedness"
      description="Extendedness in the reference band (0 point-like, 1 extended)."/>
    <column name="g_cModelFlux" type="double precision" unit="nJy" ucd="phot.flux;em.opt.B"
      description="cModel flux in g."/>
    <column name="r_cModelFlux" type="double precision" unit="nJy" ucd="phot.flux;em.opt.R"
      description="cModel flux in r."/>
    <column name="i_cModelFlux" type="double precision" unit="nJy" ucd="phot.flux;em.opt.I"
      description="cModel flux in i."/>
  </table>

  <data id="import">
    <sources>object.csv</sources>
    <csvGrammar/>
    <make table="object">
      <rowmaker idmaps="*"/>
    </make>
  </data>
</resource>
