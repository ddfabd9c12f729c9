select '{{ modules.pytz.timezone("Mars/Olympus_Mons") }}' as zone
